"""The catalogue: events, speakers, topics and the talks that tie them together.

Longer than our other modules because every field carries the help text that the API
shows as its description.
"""

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, OrderBy, Q
from django.db.models.functions import Upper

# Real data has long slugs (pyvideo talk slugs reach 150 characters) and long URLs (370).
SLUG_MAX_LENGTH = 255
URL_MAX_LENGTH = 500


class PortableIndex(models.Index):
    """An index that PostgreSQL builds as written and SQLite without NULLS FIRST/LAST.

    SQLite rejects NULLS LAST in index definitions; the orderings still work there,
    PostgreSQL is where the index has to match the ORDER BY exactly.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "sqlite" and self.expressions:
            index = self.clone()
            index.expressions = tuple(
                OrderBy(e.expression, descending=e.descending) if isinstance(e, OrderBy) else e
                for e in self.expressions
            )
            return models.Index.create_sql(index, model, schema_editor, using, **kwargs)
        return super().create_sql(model, schema_editor, using, **kwargs)


class CatalogueObject(models.Model):
    """What every event, speaker, topic and talk has: its times and its version."""

    created_at = models.DateTimeField(auto_now_add=True, help_text="When this record was created.")
    updated_at = models.DateTimeField(auto_now=True, help_text="When this record last changed.")
    # Kept by database triggers (migration 0018), whoever writes: a write always stores
    # the row's version, never one the writer held.
    version = models.PositiveBigIntegerField(
        default=1,
        editable=False,
        help_text=(
            "Raised by every change to the object, whoever makes it; starts at 1 and only "
            "grows. Send it back as `ifVersion` to change or delete only what you read."
        ),
    )

    class Meta:
        abstract = True


def choices_constraint(field: str, choices: type[models.TextChoices], *, nullable: bool = False):
    condition = Q(**{f"{field}__in": choices.values})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=f"%(class)s_{field}_valid")


def non_blank_constraint(field: str):
    return models.CheckConstraint(condition=~Q(**{field: ""}), name=f"%(class)s_{field}_not_blank")


class EventKind(models.TextChoices):
    CONFERENCE = "conference", "Conference"
    MEETUP = "meetup", "Meetup"
    PODCAST = "podcast", "Podcast"
    SPRINT = "sprint", "Sprint"
    OTHER = "other", "Other"


class TalkKind(models.TextChoices):
    TALK = "talk", "Talk"
    KEYNOTE = "keynote", "Keynote"
    LIGHTNING = "lightning", "Lightning talk"
    WORKSHOP = "workshop", "Workshop"
    TUTORIAL = "tutorial", "Tutorial"
    PANEL = "panel", "Panel"
    EPISODE = "episode", "Podcast episode"
    OTHER = "other", "Other"


class TalkLevel(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"
    ALL = "all", "All levels"


ENDS_BEFORE_STARTS = "An event cannot end before it starts."
# Help texts are what the admin shows under a field and the API's schema describes it by.
SLUG_HELP = "Stable, human-readable key; unique among {}."
UNKNOWN_IS_BLANK = '"" when unknown, never null.'


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_time_zone(name: str) -> None:
    if name not in time_zone_names():
        raise ValidationError(
            "Not an IANA time zone name (e.g. “Europe/Berlin”, “America/New_York”, “UTC”).",
            code="invalid_time_zone",
        )


class Event(CatalogueObject):
    """A conference, meetup, sprint or podcast."""

    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH, unique=True, help_text=SLUG_HELP.format("events")
    )
    name = models.CharField(
        max_length=300, help_text='The event\'s name, e.g. "DjangoCon US 2011".'
    )
    kind = models.CharField(
        max_length=20,
        choices=EventKind.choices,
        default=EventKind.CONFERENCE,
        help_text="Conference, meetup, podcast, sprint or other.",
    )
    starts_on = models.DateField(null=True, blank=True, help_text="First day; null if unknown.")
    ends_on = models.DateField(null=True, blank=True, help_text="Last day; null if unknown.")
    city = models.CharField(max_length=200, blank=True, default="", help_text=UNKNOWN_IS_BLANK)
    country = models.CharField(max_length=200, blank=True, default="", help_text=UNKNOWN_IS_BLANK)
    url = models.URLField(
        max_length=URL_MAX_LENGTH,
        blank=True,
        default="",
        help_text='The event\'s website; "" when unknown.',
    )
    description = models.TextField(
        blank=True, default="", help_text='About the event; "" when unknown.'
    )
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text='The IANA time zone its days and schedule are in, e.g. "Europe/Berlin".',
    )

    class Meta:
        constraints = [
            non_blank_constraint("slug"),
            non_blank_constraint("name"),
            choices_constraint("kind", EventKind),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="event_ends_on_after_starts_on",
            ),
        ]
        indexes = [
            PortableIndex(
                F("starts_on").desc(nulls_last=True), F("id").desc(), name="event_starts_desc"
            ),
            PortableIndex(
                F("starts_on").asc(nulls_last=True), F("id").asc(), name="event_starts_asc"
            ),
            models.Index(fields=["name", "id"], name="event_name"),
            models.Index(fields=["kind"], name="event_kind"),
            models.Index(Upper("country"), name="event_country_ci"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(
                {"ends_on": ValidationError(ENDS_BEFORE_STARTS, code="before_start")}
            )


# Kept by database triggers (migration 0004) on the link tables, exact in every
# transaction whatever writes the links: services, the importer, the admin, raw SQL.
# A save that writes a stale value back is corrected by another trigger.
TALK_COUNT_HELP = "How many talks {}; kept by the database."


class Speaker(CatalogueObject):
    """A person who gave at least one talk."""

    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH, unique=True, help_text=SLUG_HELP.format("speakers")
    )
    name = models.CharField(max_length=300, help_text="The speaker's name as billed.")
    bio = models.TextField(blank=True, default="", help_text='"" when unknown.')
    affiliation = models.CharField(
        max_length=300, blank=True, default="", help_text='Employer or project; "" when unknown.'
    )
    website = models.URLField(
        max_length=URL_MAX_LENGTH, blank=True, default="", help_text='"" when unknown.'
    )
    twitter = models.CharField(
        max_length=100, blank=True, default="", help_text='Handle without "@"; "" when unknown.'
    )
    github = models.CharField(
        max_length=100, blank=True, default="", help_text='User name; "" when unknown.'
    )
    talk_count = models.PositiveIntegerField(
        default=0, editable=False, help_text=TALK_COUNT_HELP.format("the speaker gave")
    )

    class Meta:
        constraints = [non_blank_constraint("slug"), non_blank_constraint("name")]
        indexes = [
            models.Index(fields=["name", "id"], name="speaker_name"),
            models.Index(fields=["-talk_count", "name", "id"], name="speaker_talk_count"),
        ]

    def __str__(self) -> str:
        return self.name


class Topic(CatalogueObject):
    """A subject that talks are tagged with."""

    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH, unique=True, help_text=SLUG_HELP.format("topics")
    )
    name = models.CharField(max_length=200, help_text="The topic's display name.")
    description = models.TextField(blank=True, default="", help_text='"" when there is none.')
    talk_count = models.PositiveIntegerField(
        default=0, editable=False, help_text=TALK_COUNT_HELP.format("have this topic")
    )

    class Meta:
        constraints = [non_blank_constraint("slug"), non_blank_constraint("name")]
        indexes = [
            models.Index(fields=["name", "id"], name="topic_name"),
            models.Index(fields=["-talk_count", "name", "id"], name="topic_talk_count"),
        ]

    def __str__(self) -> str:
        return self.name


class Talk(CatalogueObject):
    """A recorded talk, keynote, workshop or episode."""

    slug = models.SlugField(
        max_length=SLUG_MAX_LENGTH, unique=True, help_text=SLUG_HELP.format("talks")
    )
    title = models.CharField(max_length=500, help_text="The title as billed.")
    abstract = models.TextField(
        blank=True, default="", help_text='The talk\'s description; "" when unknown.'
    )
    kind = models.CharField(
        max_length=20,
        choices=TalkKind.choices,
        default=TalkKind.TALK,
        help_text="Talk, keynote, lightning talk, episode, ...",
    )
    # Unknown level is NULL rather than "": the API exposes it as a nullable enum.
    level = models.CharField(  # noqa: DJ001
        max_length=20,
        choices=TalkLevel.choices,
        null=True,
        blank=True,
        help_text="Intended audience; null if unknown.",
    )
    language = models.CharField(
        max_length=35, default="en", help_text='BCP 47 language code (en, pt-BR), "en" by default.'
    )
    recorded_on = models.DateField(
        null=True, blank=True, help_text="Day of recording; null if unknown."
    )
    duration_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Length; null if unknown.",
    )
    video_url = models.URLField(
        max_length=URL_MAX_LENGTH,
        blank=True,
        default="",
        help_text='Recording; "" when there is none.',
    )
    slides_url = models.URLField(
        max_length=URL_MAX_LENGTH,
        blank=True,
        default="",
        help_text='Slides; "" when there are none.',
    )
    event = models.ForeignKey(
        Event,
        on_delete=models.PROTECT,
        related_name="talks",
        db_index=False,  # talk_event_recorded starts with it
        help_text="The event the talk was given at.",
    )
    speakers = models.ManyToManyField(
        Speaker,
        through="TalkSpeaker",
        related_name="talks",
        help_text="The speakers in billing order.",
    )
    topics = models.ManyToManyField(
        Topic, related_name="talks", blank=True, help_text="The talk's topics, listed by name."
    )
    # The slot: set and cleared together by the schedule's services (talks.scheduling),
    # which check it against the event's days and other talks' slots.
    starts_at = models.DateTimeField(null=True, blank=True, help_text="When the talk starts.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="When the talk ends.")
    room = models.ForeignKey(
        "talks.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="talks",
        db_index=False,  # talk_room_start starts with it
        help_text="The room of the talk's slot.",
    )
    track = models.ForeignKey(
        "talks.Track",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="talks",
        help_text="The track the talk is in.",
    )

    class Meta:
        constraints = [
            non_blank_constraint("slug"),
            non_blank_constraint("title"),
            non_blank_constraint("language"),
            choices_constraint("kind", TalkKind),
            choices_constraint("level", TalkLevel, nullable=True),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__gt=0),
                name="talk_duration_positive",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True, ends_at__isnull=True, room__isnull=True)
                | Q(starts_at__isnull=False, ends_at__isnull=False, ends_at__gt=F("starts_at")),
                name="talk_slot_ends_after_start",
            ),
        ]
        indexes = [
            PortableIndex(
                F("recorded_on").desc(nulls_last=True), F("id").desc(), name="talk_recorded_desc"
            ),
            PortableIndex(
                F("recorded_on").asc(nulls_last=True), F("id").asc(), name="talk_recorded_asc"
            ),
            models.Index(fields=["title", "id"], name="talk_title"),
            models.Index(fields=["kind"], name="talk_kind"),
            models.Index(fields=["level"], name="talk_level"),
            models.Index(fields=["language"], name="talk_language"),
            PortableIndex(
                "event",
                F("recorded_on").desc(nulls_last=True),
                F("id").desc(),
                name="talk_event_recorded",
            ),
            models.Index(
                fields=["event", "starts_at"],
                name="talk_event_schedule",
                condition=Q(starts_at__isnull=False),
            ),
            models.Index(
                fields=["room", "starts_at"],
                name="talk_room_start",
                condition=Q(room__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TalkSpeaker(models.Model):
    """A speaker's place on a talk's billing: position 0 is billed first."""

    # Not indexed alone: talk_speaker_position and talkspeaker_speaker_newest start with them.
    talk = models.ForeignKey(
        Talk, on_delete=models.CASCADE, related_name="talk_speakers", db_index=False
    )
    speaker = models.ForeignKey(
        Speaker, on_delete=models.CASCADE, related_name="talk_speakers", db_index=False
    )
    position = models.PositiveSmallIntegerField(default=0)
    # The talk's date, copied here and kept by database triggers (migration 0005), so
    # that a speaker's newest talks are the start of one index range (see talk_pages).
    recorded_on = models.DateField(null=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["talk", "speaker"], name="talk_speaker_once"),
            models.UniqueConstraint(fields=["talk", "position"], name="talk_speaker_position"),
        ]
        indexes = [
            PortableIndex(
                "speaker",
                F("recorded_on").desc(nulls_last=True),
                F("talk").desc(),
                name="talkspeaker_speaker_newest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.talk_id} #{self.position}: {self.speaker_id}"
