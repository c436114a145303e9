"""The /graphql/ endpoint: strawberry's async Django view with our context and GraphiQL."""

import re
from functools import cached_property

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import AsyncGraphQLView

from schema.context import Context

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


class GraphQLView(AsyncGraphQLView):
    async def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:
        return Context(request=request, response=response)

    @cached_property
    def graphql_ide_html(self) -> str:
        html = super().graphql_ide_html
        example = EXAMPLE_QUERY.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${")
        return re.sub(
            r"const EXAMPLE_QUERY = `.*?`;",
            lambda _: f"const EXAMPLE_QUERY = `{example}`;",
            html,
            count=1,
            flags=re.DOTALL,
        )

    @classmethod
    def for_settings(cls, schema):
        view = cls.as_view(
            schema=schema, graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None
        )
        # Frontends POST queries without cookies or CSRF tokens, and a query changes
        # nothing, so Django's CSRF middleware must not answer them with 403. Whatever
        # acts on a session's authority (mutations) has to check CSRF itself.
        return csrf_exempt(view)
