"""Our /graphql/ view against strawberry's own, side by side: what the subclass does not
mean to change (root value, operation extensions, the context's request and response,
its status and headers) reaches a schema exactly as strawberry's stock view gives it."""

import json

import pytest
import strawberry
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import AsyncGraphQLView
from strawberry.extensions import SchemaExtension
from strawberry.types import Info

from edge.view import GraphQLView

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class EchoOperationExtensions(SchemaExtension):
    """Answers with the request's `extensions` as the operation got them."""

    def get_results(self) -> dict:
        return {"echo": self.execution_context.operation_extensions}


@strawberry.type
class Query:
    @strawberry.field
    def root(self) -> str:
        return str(self)  # a root field's source is the view's root value

    @strawberry.field
    def request(self, info: Info) -> str:
        return info.context.request.method

    @strawberry.field
    def teapot(self, info: Info) -> bool:
        response = info.context.response
        response.status_code = 418
        response["X-Teapot"] = "short and stout"
        return True


TWIN_SCHEMA = strawberry.Schema(query=Query, extensions=[EchoOperationExtensions])


class OurView(GraphQLView):
    async def get_root_value(self, request):
        return "the root"


class StockView(AsyncGraphQLView):
    async def get_root_value(self, request):
        return "the root"


urlpatterns = [
    path("ours/graphql/", csrf_exempt(OurView.as_view(schema=TWIN_SCHEMA))),
    path("stock/graphql/", csrf_exempt(StockView.as_view(schema=TWIN_SCHEMA))),
]


def both(method: str, **request) -> tuple:
    client = Client()
    send = getattr(client, method)
    return send("/ours/graphql/", **request), send("/stock/graphql/", **request)


@pytest.mark.parametrize("method", ["post", "get"])
def test_root_value_operation_extensions_and_context_reach_the_schema_alike(method):
    extensions = {"tracing": {"sampled": True}, "client": "twin"}
    body = {"query": "{ root request }", "extensions": extensions}
    if method == "post":
        request = {"data": json.dumps(body), "content_type": "application/json"}
    else:
        request = {"data": {**body, "extensions": json.dumps(extensions)}}
    ours, stock = both(method, **request)
    assert ours.status_code == stock.status_code == 200
    assert (
        ours.json()
        == stock.json()
        == {
            "data": {"root": "the root", "request": method.upper()},
            "extensions": {"echo": extensions},
        }
    )


def test_a_resolver_sets_the_status_and_headers_alike():
    request = {"data": json.dumps({"query": "{ teapot }"}), "content_type": "application/json"}
    ours, stock = both("post", **request)
    assert ours.status_code == stock.status_code == 418
    assert ours["X-Teapot"] == stock["X-Teapot"] == "short and stout"
    assert ours.json() == stock.json() == {"data": {"teapot": True}, "extensions": {"echo": None}}


def test_field_errors_come_back_alike():
    request = {"data": json.dumps({"query": "{ nope }"}), "content_type": "application/json"}
    ours, stock = both("post", **request)
    assert ours.status_code == stock.status_code == 200
    assert ours.json()["errors"][0]["message"] == stock.json()["errors"][0]["message"]
    assert ours.json()["errors"][0]["message"] == "Cannot query field 'nope' on type 'Query'."
