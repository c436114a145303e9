"""GraphQL over WebSocket at /graphql/ (the graphql-transport-ws protocol, as the
`graphql-ws` client speaks it), through strawberry's Channels consumer, under the same
uvicorn as HTTP: for subscriptions (`schema.subscriptions`).

A connection needs no credentials, and gets none: its operations act for an anonymous
user (a mutation sent over it is refused as over HTTP without a token), so that a page
on another origin cannot ride a browser's session cookie. Browsers' `Origin` must be
this host or one of CORS_ALLOWED_ORIGINS. The schema's limits (depth, cost, tokens)
hold for every operation, each charged to the client's rate limit (by its address) as
over HTTP; a connection holds at most
GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions, and is pinged every
WEBSOCKET_KEEPALIVE_SECONDS.
"""

from channels.routing import URLRouter
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import path
from strawberry.channels import GraphQLWSConsumer
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from edge.metrics import OperationMetrics
from edge.ratelimit import ConnectionRateLimit
from schema.context import Context
from schema.schema import build_schema

# The schema with the limits every operation passes, its charge to the client, and its
# count in the metrics (a subscription's duration: how long it stayed open).
schema = build_schema(extensions=[OperationMetrics, ConnectionRateLimit])


class AnonymousContext(Context):
    async def user(self) -> AnonymousUser:
        return AnonymousUser()


class SubscriptionConsumer(GraphQLWSConsumer):
    async def get_context(self, request, response) -> Context:
        address = (request.scope.get("client") or ("",))[0]
        return AnonymousContext(request=None, response=None, client=address or None)


def websocket_application():
    consumer = SubscriptionConsumer.as_asgi(
        schema=schema,
        keep_alive=True,
        keep_alive_interval=settings.WEBSOCKET_KEEPALIVE_SECONDS,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        max_subscriptions_per_connection=settings.GRAPHQL_MAX_SUBSCRIPTIONS_PER_CONNECTION,
        allowed_origins=settings.CORS_ALLOWED_ORIGINS,
    )
    return URLRouter([path("graphql/", consumer)])
