"""The GraphQL types of the catalogue's models: talks, speakers, events and topics, the
connections that page them, and the inputs that create and change them.

Fields come from the models (`auto`: type, nullability and description from the model
field and its `help_text`; each type described by its model's docstring). What the
models do not hold is declared once here: relations and counts (`relation`, read in
batches by DataLoaders) and nested talk pages (`talk_pages`). Resolvers receive Django
model instances as their source.

Each Create input is declared once, its fields `auto` where the model says it all; its
Update input is derived from it (`changes_to`): the object's `id`, then the same fields,
every one optional. An omitted field is UNSET and left alone; an explicit null clears.
Creates take an `idempotencyKey`, updates and deletes an `ifVersion` (`CONTROLS`): they
say how to write, not what, and go to the services beside the object's fields.
"""

from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
import strawberry_django
from strawberry import UNSET, auto, relay
from strawberry_django.utils.typing import is_auto

from schema.filters import (
    EventFilter,
    EventKind,
    EventOrder,
    SpeakerFilter,
    SpeakerOrder,
    TalkFilter,
    TalkKind,
    TalkLevel,
    TalkOrder,
    TopicFilter,
    TopicOrder,
)
from schema.loaders import MISSING, TALK_COUNTS, ByKey, TalkCountKey
from schema.pagination import CountedConnection, Listing, talk_pages
from schema.relations import relation
from schema.schedule import (
    EVENT_PARTS,
    days_of,
    events_next,
    events_now,
    events_schedule,
    slot_of,
    slot_read,
)
from talks import models, selectors


def _counted_talks(event: models.Event) -> Any:
    # An event looked up by key comes with its talk count (selectors.objects_by_key).
    return event.__dict__.get("talks_counted", MISSING)


def _joined_event(talk: models.Talk) -> Any:
    # An event joined into a page of talks holds the columns that page's query reads,
    # so it stays with its talks rather than going into the event loader.
    return selectors.TALK_EVENT.get_cached_value(talk, MISSING)


@strawberry_django.type(models.Talk, name="Talk")
class TalkType(relay.Node):
    slug: auto
    title: auto
    abstract: auto
    kind: TalkKind
    level: TalkLevel | None
    language: auto
    recorded_on: auto
    duration_minutes: auto
    video_url: auto
    slides_url: auto
    created_at: auto
    updated_at: auto
    version: auto
    event: "EventType" = relation(
        ByKey(models.Event), key=lambda talk: talk.event_id, joined=_joined_event
    )
    speakers: list["SpeakerType"] = relation(selectors.speakers_of_talks)
    topics: list["TopicType"] = relation(selectors.topics_of_talks)
    slot: "SlotType | None" = relation(
        slot_read,
        joined=slot_of,
        description="When and where the talk is scheduled; null if it is not.",
    )
    track: "TrackType | None" = relation(
        ByKey(models.Track),
        key=lambda talk: talk.track_id,
        description="The track the talk is in; null if none.",
    )


@strawberry.type(name="TalkConnection", description="A page of talks.")
class TalkConnection(CountedConnection[TalkType]):
    pass


TALKS = Listing(
    TalkType, TalkConnection, TalkFilter, TalkOrder.RECORDED_ON_DESC, selectors.talk_list
)


EVENT_TALKS = TalkCountKey("event", None)  # an event's talks, unfiltered
# What the query cost counts these unpaged lists as: about the most the generated
# catalogue has (an event's distinct speakers 114 and topics 180 at 20,000 talks; a
# speaker's events 91 at the 99th percentile).
EVENT_LISTS = 200
SPEAKER_EVENTS = 100


@strawberry_django.type(models.Event, name="Event")
class EventType(relay.Node):
    slug: auto
    name: auto
    kind: EventKind
    starts_on: auto
    ends_on: auto
    city: auto
    country: auto
    url: auto
    description: auto
    timezone: auto
    version: auto
    talk_count: int = relation(
        TALK_COUNTS,
        key=lambda event: (EVENT_TALKS, event.id),
        joined=_counted_talks,
        description="How many talks the event has.",
    )
    talks: TalkConnection = talk_pages(
        "event", TALKS, "The event's talks, newest first unless ordered otherwise."
    )
    speakers: list["SpeakerType"] = relation(
        selectors.speakers_of_events,
        estimate=EVENT_LISTS,
        description="The distinct speakers of the event's talks, by name.",
    )
    topics: list["TopicType"] = relation(
        selectors.topics_of_events,
        estimate=EVENT_LISTS,
        description="The distinct topics of the event's talks, by name.",
    )
    rooms: list["RoomType"] = relation(
        selectors.rooms_of_events,
        estimate=EVENT_PARTS,
        description="The event's rooms, in their order.",
    )
    tracks: list["TrackType"] = relation(
        selectors.tracks_of_events,
        estimate=EVENT_PARTS,
        description="The event's tracks, by name.",
    )
    days: list[date] = days_of
    schedule: list[TalkType] = events_schedule
    now: list[TalkType] = events_now
    next: list[TalkType] = events_next


@strawberry_django.type(models.Room, name="Room")
class RoomType(relay.Node):
    slug: auto
    name: auto
    capacity: auto
    position: auto
    version: auto
    event: EventType = relation(ByKey(models.Event), key=lambda room: room.event_id)


@strawberry_django.type(models.Track, name="Track")
class TrackType(relay.Node):
    slug: auto
    name: auto
    color: auto
    version: auto
    event: EventType = relation(ByKey(models.Event), key=lambda track: track.event_id)


@strawberry_django.type(
    models.Talk, name="Slot", description="When and where a talk is: its start, end and room."
)
class SlotType:
    start: datetime = strawberry_django.field(
        field_name="starts_at", description="When the talk starts (in UTC, with its offset)."
    )
    end: datetime = strawberry_django.field(
        field_name="ends_at", description="When the talk ends (in UTC, with its offset)."
    )
    room: RoomType | None = relation(
        ByKey(models.Room),
        key=lambda talk: talk.room_id,
        description="Where the talk is; null if no room is given yet.",
    )


@strawberry_django.type(models.Speaker, name="Speaker")
class SpeakerType(relay.Node):
    slug: auto
    name: auto
    bio: auto
    affiliation: auto
    website: auto
    twitter: auto
    github: auto
    talk_count: auto
    version: auto
    talks: TalkConnection = talk_pages(
        "speaker", TALKS, "The speaker's talks, newest first unless ordered otherwise."
    )
    events: list[EventType] = relation(
        selectors.events_of_speakers,
        estimate=SPEAKER_EVENTS,
        description="The distinct events the speaker spoke at, newest first.",
    )


@strawberry_django.type(models.Topic, name="Topic")
class TopicType(relay.Node):
    slug: auto
    name: auto
    description: auto
    talk_count: auto
    version: auto
    talks: TalkConnection = talk_pages(
        "topic", TALKS, "Talks on this topic, newest first unless ordered otherwise."
    )


@strawberry.type(name="SpeakerConnection", description="A page of speakers.")
class SpeakerConnection(CountedConnection[SpeakerType]):
    pass


@strawberry.type(name="EventConnection", description="A page of events.")
class EventConnection(CountedConnection[EventType]):
    pass


@strawberry.type(name="TopicConnection", description="A page of topics.")
class TopicConnection(CountedConnection[TopicType]):
    pass


SPEAKERS = Listing(
    SpeakerType, SpeakerConnection, SpeakerFilter, SpeakerOrder.NAME_ASC, selectors.speaker_list
)
EVENTS = Listing(
    EventType, EventConnection, EventFilter, EventOrder.STARTS_ON_DESC, selectors.event_list
)
TOPICS = Listing(TopicType, TopicConnection, TopicFilter, TopicOrder.NAME_ASC, selectors.topic_list)


# Every type a global ID can name, by that name.
NODE_TYPES: dict[str, type] = {
    node_type.__strawberry_definition__.name: node_type
    for node_type in (TalkType, SpeakerType, EventType, TopicType, RoomType, TrackType)
}


def model_of(node_type: type) -> type:
    return node_type.__strawberry_django_definition__.model


SearchHit = Annotated[
    TalkType | SpeakerType | EventType | TopicType,
    strawberry.union("SearchHit", description="A talk, speaker, event or topic that matched."),
]


# --- inputs ----------------------------------------------------------------------------

DERIVED_SLUG = "Made from the {} (unique) when omitted on create; kept on updates."
IDEMPOTENCY_KEY = (
    "A key of your choosing, up to 255 characters, that makes retrying safe: the same key "
    "and input within 24 hours answer with what the first request created, and create "
    "nothing. The same key with another input is an `idempotency_key_reused` error."
)
IF_VERSION = (
    "Write only if the object is still at this version (its `version` as you read it); "
    "otherwise nothing is written and the answer is a `conflict` with the current version."
)
# Input fields that say how to write rather than what: not the object's fields.
CONTROLS = ("idempotency_key", "if_version")


def given_fields(input_object: Any) -> dict[str, Any]:
    """The fields of the object the client sent, by Python name, without `id`."""
    return {
        f.name: getattr(input_object, f.name)
        for f in dataclass_fields(input_object)
        if f.name != "id" and f.name not in CONTROLS and getattr(input_object, f.name) is not UNSET
    }


def control(input_object: Any, name: str) -> Any:
    """An input's `idempotency_key` or `if_version`; None when not sent."""
    value = getattr(input_object, name, None)
    return None if value is UNSET else value


def changes_to(create_input: type, *, name: str, description: str) -> type:
    """The Update input of a Create input: `id`, then each of its fields, optional, and
    `ifVersion`."""
    model = create_input.__strawberry_django_definition__.model
    annotations: dict[str, Any] = {"id": strawberry.ID}
    namespace: dict[str, Any] = {"__annotations__": annotations}
    for field in create_input.__strawberry_definition__.fields:
        if field.python_name in CONTROLS:
            continue
        declared = create_input.__annotations__[field.python_name]
        if is_auto(declared):
            annotations[field.python_name] = auto
        else:
            annotations[field.python_name] = declared | None
            namespace[field.python_name] = strawberry_django.field(description=field.description)
    annotations["if_version"] = int | None
    namespace["if_version"] = strawberry_django.field(description=IF_VERSION)
    changes = type(name, (), namespace)
    return strawberry_django.partial(model, name=name, description=description)(changes)


@strawberry_django.input(
    models.Talk, name="CreateTalkInput", description="A new talk. Relations are global IDs."
)
class CreateTalkInput:
    title: auto
    event: strawberry.ID = strawberry_django.field(description="The event's ID.")
    speakers: list[strawberry.ID] | None = strawberry_django.field(
        description="Speaker IDs in billing order; replaces the speakers on updates."
    )
    topics: list[strawberry.ID] | None = strawberry_django.field(
        description="Topic IDs; replaces the topics on updates."
    )
    slug: str | None = strawberry_django.field(description=DERIVED_SLUG.format("title"))
    abstract: auto
    kind: TalkKind | None
    level: TalkLevel | None
    language: auto
    recorded_on: auto
    duration_minutes: auto
    video_url: auto
    slides_url: auto
    idempotency_key: str | None = strawberry_django.field(description=IDEMPOTENCY_KEY)


@strawberry_django.input(models.Speaker, name="CreateSpeakerInput", description="A new speaker.")
class CreateSpeakerInput:
    name: auto
    slug: str | None = strawberry_django.field(description=DERIVED_SLUG.format("name"))
    bio: auto
    affiliation: auto
    website: auto
    twitter: auto
    github: auto
    idempotency_key: str | None = strawberry_django.field(description=IDEMPOTENCY_KEY)


@strawberry_django.input(models.Event, name="CreateEventInput", description="A new event.")
class CreateEventInput:
    name: auto
    slug: str | None = strawberry_django.field(description=DERIVED_SLUG.format("name"))
    kind: EventKind | None
    starts_on: auto
    ends_on: auto
    city: auto
    country: auto
    url: auto
    description: auto
    timezone: auto
    idempotency_key: str | None = strawberry_django.field(description=IDEMPOTENCY_KEY)


@strawberry_django.input(models.Topic, name="CreateTopicInput", description="A new topic.")
class CreateTopicInput:
    name: auto
    slug: str | None = strawberry_django.field(description=DERIVED_SLUG.format("name"))
    description: auto
    idempotency_key: str | None = strawberry_django.field(description=IDEMPOTENCY_KEY)


@strawberry_django.input(models.Room, name="CreateRoomInput", description="A new room of an event.")
class CreateRoomInput:
    event: strawberry.ID = strawberry_django.field(description="The event's ID.")
    name: auto
    slug: str | None = strawberry_django.field(description=DERIVED_SLUG.format("name"))
    capacity: auto
    position: int | None = strawberry_django.field(
        description="Where the room shows among the event's rooms, from 0 (0 when omitted)."
    )
    idempotency_key: str | None = strawberry_django.field(description=IDEMPOTENCY_KEY)


@strawberry_django.input(
    models.Track, name="CreateTrackInput", description="A new track of an event."
)
class CreateTrackInput:
    event: strawberry.ID = strawberry_django.field(description="The event's ID.")
    name: auto
    slug: str | None = strawberry_django.field(description=DERIVED_SLUG.format("name"))
    color: auto
    idempotency_key: str | None = strawberry_django.field(description=IDEMPOTENCY_KEY)


CHANGES = "Changes to {}: only the fields given change."
UpdateTalkInput = changes_to(
    CreateTalkInput, name="UpdateTalkInput", description=CHANGES.format("a talk")
)
UpdateSpeakerInput = changes_to(
    CreateSpeakerInput, name="UpdateSpeakerInput", description=CHANGES.format("a speaker")
)
UpdateEventInput = changes_to(
    CreateEventInput, name="UpdateEventInput", description=CHANGES.format("an event")
)
UpdateTopicInput = changes_to(
    CreateTopicInput, name="UpdateTopicInput", description=CHANGES.format("a topic")
)
UpdateRoomInput = changes_to(
    CreateRoomInput, name="UpdateRoomInput", description=CHANGES.format("a room")
)
UpdateTrackInput = changes_to(
    CreateTrackInput, name="UpdateTrackInput", description=CHANGES.format("a track")
)


@strawberry.input(description="A talk's slot: when and where it is.")
class ScheduleTalkInput:
    id: strawberry.ID = strawberry.field(description="The talk's ID.")
    start: datetime = strawberry.field(description="When it starts, with an offset.")
    end: datetime = strawberry.field(description="When it ends, with an offset; after start.")
    room: strawberry.ID | None = strawberry.field(
        default=None, description="The ID of a room of the talk's event; none: no room yet."
    )
    track: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="The ID of a track of the talk's event; null clears it, omitted keeps it.",
    )
    if_version: int | None = strawberry.field(default=None, description=IF_VERSION)


@strawberry.input(description="Which talk to take off the schedule (its track stays).")
class UnscheduleTalkInput:
    id: strawberry.ID = strawberry.field(description="The talk's ID.")
    if_version: int | None = strawberry.field(default=None, description=IF_VERSION)


@strawberry.input(description="Which object to delete.")
class DeleteInput:
    id: strawberry.ID
    if_version: int | None = strawberry.field(default=None, description=IF_VERSION)
