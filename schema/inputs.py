"""Mutation inputs. An omitted field is UNSET and left alone; an explicit null clears."""

from dataclasses import fields as dataclass_fields
from datetime import date
from typing import Any

import strawberry
from strawberry import UNSET

from schema.filters import EventKind, TalkKind, TalkLevel

# Which node type each relation field of an input takes IDs of.
RELATIONS = {"event": "Event", "speakers": "Speaker", "topics": "Topic"}


def given_fields(input_object: Any) -> dict[str, Any]:
    """The fields the client sent, by Python name, without `id`."""
    return {
        f.name: getattr(input_object, f.name)
        for f in dataclass_fields(input_object)
        if f.name != "id" and getattr(input_object, f.name) is not UNSET
    }


@strawberry.input(description="A new talk. Relations are global IDs.")
class CreateTalkInput:
    title: str
    event: strawberry.ID = strawberry.field(description="The event's ID.")
    speakers: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="Speaker IDs in billing order."
    )
    topics: list[strawberry.ID] | None = strawberry.field(default=UNSET, description="Topic IDs.")
    slug: str | None = strawberry.field(
        default=UNSET, description="Derived from the title when omitted, made unique."
    )
    abstract: str | None = UNSET
    kind: TalkKind | None = UNSET
    level: TalkLevel | None = UNSET
    language: str | None = strawberry.field(default=UNSET, description='BCP 47, "en" by default.')
    recorded_on: date | None = UNSET
    duration_minutes: int | None = UNSET
    video_url: str | None = UNSET
    slides_url: str | None = UNSET


@strawberry.input(description="Changes to a talk: only the fields given change.")
class UpdateTalkInput:
    id: strawberry.ID
    title: str | None = UNSET
    event: strawberry.ID | None = UNSET
    speakers: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="Replaces the speakers, in billing order."
    )
    topics: list[strawberry.ID] | None = strawberry.field(
        default=UNSET, description="Replaces the topics."
    )
    slug: str | None = strawberry.field(
        default=UNSET, description="Kept when the title changes, unless given."
    )
    abstract: str | None = UNSET
    kind: TalkKind | None = UNSET
    level: TalkLevel | None = UNSET
    language: str | None = UNSET
    recorded_on: date | None = UNSET
    duration_minutes: int | None = UNSET
    video_url: str | None = UNSET
    slides_url: str | None = UNSET


@strawberry.input(description="A new speaker.")
class CreateSpeakerInput:
    name: str
    slug: str | None = strawberry.field(
        default=UNSET, description="Derived from the name when omitted, made unique."
    )
    bio: str | None = UNSET
    affiliation: str | None = UNSET
    website: str | None = UNSET
    twitter: str | None = UNSET
    github: str | None = UNSET


@strawberry.input(description="Changes to a speaker: only the fields given change.")
class UpdateSpeakerInput:
    id: strawberry.ID
    name: str | None = UNSET
    slug: str | None = UNSET
    bio: str | None = UNSET
    affiliation: str | None = UNSET
    website: str | None = UNSET
    twitter: str | None = UNSET
    github: str | None = UNSET


@strawberry.input(description="A new event.")
class CreateEventInput:
    name: str
    slug: str | None = strawberry.field(
        default=UNSET, description="Derived from the name when omitted, made unique."
    )
    kind: EventKind | None = UNSET
    starts_on: date | None = UNSET
    ends_on: date | None = UNSET
    city: str | None = UNSET
    country: str | None = UNSET
    url: str | None = UNSET
    description: str | None = UNSET


@strawberry.input(description="Changes to an event: only the fields given change.")
class UpdateEventInput:
    id: strawberry.ID
    name: str | None = UNSET
    slug: str | None = UNSET
    kind: EventKind | None = UNSET
    starts_on: date | None = UNSET
    ends_on: date | None = UNSET
    city: str | None = UNSET
    country: str | None = UNSET
    url: str | None = UNSET
    description: str | None = UNSET


@strawberry.input(description="A new topic.")
class CreateTopicInput:
    name: str
    slug: str | None = strawberry.field(
        default=UNSET, description="Derived from the name when omitted, made unique."
    )
    description: str | None = UNSET


@strawberry.input(description="Changes to a topic: only the fields given change.")
class UpdateTopicInput:
    id: strawberry.ID
    name: str | None = UNSET
    slug: str | None = UNSET
    description: str | None = UNSET


@strawberry.input(description="Which object to delete.")
class DeleteInput:
    id: strawberry.ID
