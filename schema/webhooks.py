"""Webhooks in GraphQL: staff with the permission create one (its secret is in that one
answer only) and delete it; `talks.webhooks` delivers the change log to them."""

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry_django.fields.types import OperationInfo

from schema.ids import global_id, parse_global_id
from schema.loaders import ByKey
from schema.mutations import DeletedNode, DeletePayload, staff_mutation
from schema.permissions import MayWrite
from schema.subscriptions import NodeType
from schema.types import DeleteInput, EventType
from talks import models, webhooks
from talks.problems import ApplicationError

NOT_AN_EVENT = "`event` is not the ID of an event."


@strawberry.type(name="Webhook", description="A URL the change log is delivered to.")
class WebhookType:
    row: strawberry.Private[models.Webhook]

    @strawberry.field(description="Give it to `deleteWebhook`.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(global_id("Webhook", self.row.pk))

    @strawberry.field(description="Where the changes are POSTed.")
    def url(self) -> str:
        return self.row.url

    @strawberry.field(description="The node types delivered; null: all.")
    def types(self) -> list[NodeType] | None:
        return None if self.row.types is None else [NodeType(kind) for kind in self.row.types]

    @strawberry.field(description="Only this event's talks and the event; null: all.")
    async def event(self, info: strawberry.Info) -> EventType | None:
        if self.row.event_id is None:
            return None
        return await info.context.loaders.of(ByKey(models.Event)).load(self.row.event_id)

    @strawberry.field(description="When it was created; changes logged after it are sent.")
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.type(description="A new webhook and its secret, which no later answer shows.")
class CreatedWebhook:
    webhook: WebhookType
    secret: str = strawberry.field(
        description="whsec_...: verify each delivery's `webhook-signature` with it."
    )


@strawberry.input(description="A URL to send changes to.")
class CreateWebhookInput:
    url: str
    types: list[NodeType] | None = None
    event: strawberry.ID | None = None


CreatedWebhookPayload = Annotated[
    CreatedWebhook | OperationInfo, strawberry.union("CreatedWebhookPayload")
]


def _create(input_object: CreateWebhookInput, actor: Any) -> CreatedWebhook:
    event = None
    if input_object.event is not None:
        parsed = parse_global_id(input_object.event, {"Event"})
        if parsed is None:
            raise ApplicationError.one(NOT_AN_EVENT, field="event", code="invalid_id")
        event = parsed[1]
    types = None if input_object.types is None else [kind.value for kind in input_object.types]
    webhook, secret = webhooks.webhook_create(
        actor=actor, url=input_object.url, types=types, event=event
    )
    return CreatedWebhook(webhook=WebhookType(row=webhook), secret=secret)


def _delete(input_object: DeleteInput, actor: Any) -> DeletedNode:
    parsed = parse_global_id(input_object.id, {"Webhook"})
    found = None if parsed is None else models.Webhook.objects.filter(pk=parsed[1]).first()
    if found is None:
        raise ApplicationError.one("No webhook has this ID.", field="id", code="not_found")
    webhooks.webhook_delete(found)
    return DeletedNode(id=input_object.id)


@strawberry.type
class WebhookMutations:
    create_webhook = staff_mutation(
        CreateWebhookInput,
        CreatedWebhookPayload,
        _create,
        "Send every change logged from now on (of some `types`, of one `event`) to `url`, "
        "signed as Standard Webhooks says; the answer holds the secret, once.",
        MayWrite("add", models.Webhook),
    )
    delete_webhook = staff_mutation(
        DeleteInput,
        DeletePayload,
        _delete,
        "Stop sending changes to a webhook.",
        MayWrite("delete", models.Webhook),
    )
