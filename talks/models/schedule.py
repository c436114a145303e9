"""The programme of an event: its rooms and tracks. A talk's slot (start, end, room,
track) is on the talk itself (`talks.models.catalogue.Talk`)."""

from django.core.validators import RegexValidator
from django.db import models

from talks.models.catalogue import (
    SLUG_HELP,
    CatalogueObject,
    Event,
    non_blank_constraint,
)

HEX_COLOR = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", 'A colour is "#" and six hexadecimal digits, e.g. "#1f77b4".', "invalid"
)


class Room(CatalogueObject):
    """A room of an event, where talks are scheduled; rooms show in their `position`."""

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="rooms",
        db_index=False,  # room_event_position starts with it
        help_text="The event the room belongs to.",
    )
    slug = models.SlugField(max_length=100, help_text=SLUG_HELP.format("the event's rooms"))
    name = models.CharField(max_length=200, help_text='The room\'s name, e.g. "Hall A".')
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many people fit; null if unknown."
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Where the room shows among the event's rooms, from 0."
    )

    class Meta:
        constraints = [
            non_blank_constraint("slug"),
            non_blank_constraint("name"),
            models.UniqueConstraint(fields=["event", "slug"], name="room_slug_per_event"),
        ]
        indexes = [models.Index(fields=["event", "position", "id"], name="room_event_position")]

    def __str__(self) -> str:
        return self.name


class Track(CatalogueObject):
    """A thread of an event's programme (e.g. "Web", "Data"), with its colour."""

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="tracks",
        db_index=False,  # track_slug_per_event starts with it
        help_text="The event the track belongs to.",
    )
    slug = models.SlugField(max_length=100, help_text=SLUG_HELP.format("the event's tracks"))
    name = models.CharField(max_length=200, help_text='The track\'s name, e.g. "Web".')
    color = models.CharField(  # noqa: DJ001 (no colour is null, as the API shows it)
        max_length=7,
        null=True,
        blank=True,
        validators=[HEX_COLOR],
        help_text='"#rrggbb"; null if the track has none.',
    )

    class Meta:
        constraints = [
            non_blank_constraint("slug"),
            non_blank_constraint("name"),
            models.UniqueConstraint(fields=["event", "slug"], name="track_slug_per_event"),
        ]

    def __str__(self) -> str:
        return self.name
