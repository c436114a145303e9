"""The app's models, one module a concern; migrations and callers name them here."""

from talks.models.access import ApiToken, IdempotencyKey, PersistedOperation
from talks.models.catalogue import (
    ENDS_BEFORE_STARTS,
    SLUG_MAX_LENGTH,
    URL_MAX_LENGTH,
    Event,
    EventKind,
    PortableIndex,
    Speaker,
    Talk,
    TalkKind,
    TalkLevel,
    TalkSpeaker,
    Topic,
)
from talks.models.changes import Change, ChangeAction, NodeKind
from talks.models.kept import CatalogueVersion, RowCount, SearchWord, TalkWords
from talks.models.schedule import Room, Track
from talks.models.webhooks import DeliveryStatus, Webhook, WebhookDelivery

__all__ = [
    "ENDS_BEFORE_STARTS",
    "SLUG_MAX_LENGTH",
    "URL_MAX_LENGTH",
    "ApiToken",
    "CatalogueVersion",
    "Change",
    "ChangeAction",
    "DeliveryStatus",
    "Event",
    "EventKind",
    "IdempotencyKey",
    "NodeKind",
    "PersistedOperation",
    "PortableIndex",
    "Room",
    "RowCount",
    "SearchWord",
    "Speaker",
    "Talk",
    "TalkKind",
    "TalkLevel",
    "TalkSpeaker",
    "TalkWords",
    "Topic",
    "Track",
    "Webhook",
    "WebhookDelivery",
]
