"""The /graphql/ endpoint: strawberry's async Django view with our context and GraphiQL."""

import re
from functools import cache

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import AsyncGraphQLView
from strawberry.http.ides import get_graphql_ide_html

from schema.context import Context
from talks.tokens import InvalidToken, token_user

EXAMPLE_QUERY = """# The conference-talks API. Press the play button to run this query;
# the Docs panel describes every type and field.
{
  talks(first: 5) {
    totalCount
    edges {
      node {
        title
        kind
        recordedOn
        event { name city }
        speakers { name }
        topics { name }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
  event(slug: "djangocon-us-2011") {
    name
    talkCount
    speakers { name talkCount }
  }
}
"""


@cache
def graphiql_html() -> str:
    """Strawberry's GraphiQL page opening on our example query; built once per process."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    example = EXAMPLE_QUERY.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
    return re.sub(
        r"const EXAMPLE_QUERY = `.*?`;",
        lambda _: f"const EXAMPLE_QUERY = `{example}`;",
        html,
        count=1,
        flags=re.DOTALL,
    )


async def bearer_user(request: HttpRequest):
    """The user of the request's bearer token; None without an Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise InvalidToken("The Authorization header must be `Bearer <token>`.")
    return await sync_to_async(token_user)(secret.strip())


def unauthenticated(message: str) -> JsonResponse:
    response = JsonResponse(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


class GraphQLView(AsyncGraphQLView):
    async def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        # A bad token is refused outright, never treated as anonymous.
        try:
            request.token_user = await bearer_user(request)
        except InvalidToken as error:
            return unauthenticated(str(error))
        return await super().dispatch(request, *args, **kwargs)

    async def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:
        return Context(request=request, response=response, token_user=request.token_user)

    async def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        get_token(request)  # sets the CSRF cookie GraphiQL sends back with mutations
        return await super().render_graphql_ide(request)

    @property
    def graphql_ide_html(self) -> str:
        return graphiql_html()

    @classmethod
    def for_settings(cls, schema):
        view = cls.as_view(
            schema=schema, graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None
        )
        # Frontends POST queries without cookies or CSRF tokens, and a query changes
        # nothing, so Django's CSRF middleware must not answer them with 403. Whatever
        # acts on a session's authority (mutations) has to check CSRF itself.
        return csrf_exempt(view)
