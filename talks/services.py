"""Writes: the one place where events, speakers, topics and talks are created, changed
and deleted. GraphQL mutations and the Django admin call these functions.

Every function takes keywords (updates and deletes take their object first), validates
with `full_clean()`, runs in one transaction and reports every problem it finds at once
as an `ApplicationError`. An update or delete works on the object as stored when it
runs, its row locked until it commits, and with `if_version` only if that is still the
object's version (`Conflict` otherwise): two writers never overwrite each other unseen.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.text import slugify

from talks.changes import announce
from talks.models import SLUG_MAX_LENGTH, Event, Speaker, Talk, TalkSpeaker, Topic
from talks.problems import ApplicationError, Conflict, NotFound, Problem, Protected
from talks.scheduling import KEEP, event_slot_problems, scheduled
from talks.search import refresh_talk_search, talks_naming
from talks.text import text_error
from talks.vocabulary import forget_corrections

M = TypeVar("M", bound=models.Model)

SLUG_TAKEN = "The slug “{slug}” is already used by another {model}."
NOT_FOUND = "No {model} has this ID."
NOT_FOUND_IN_LIST = "No {model} has the ID at position {position}."
LISTED_TWICE = "The same {model} is listed more than once (position {position})."
STILL_HAS_TALKS = (
    "This {model} still has {count} talk{s}; delete them or remove the {model} from them first."
)
REQUIRED = "This field is required."
GONE_MEANWHILE = "An object this {model} refers to was deleted meanwhile; reload and try again."
CHANGED_MEANWHILE = (
    "This {model} was changed meanwhile: it is at version {current}, not {expected}. "
    "Read it again, then make your change."
)

# Django's validation codes, renamed where the API promises another name.
CODES = {"blank": "required", "null": "required", "unique": "unique"}


# --- helpers ---------------------------------------------------------------------------


def _verbose(model: type[models.Model]) -> str:
    return model._meta.verbose_name


def _problems_from(error: ValidationError) -> list[Problem]:
    problems = []
    for field, errors in error.error_dict.items():
        for item in errors:
            code = CODES.get(item.code, item.code or "invalid")
            message = " ".join(item.messages)
            if code == "unique" and field == "slug":
                continue  # reported by _check_slug_free with a clearer message
            if code == "required":
                message = REQUIRED
            problems.append(Problem(message, None if field == NON_FIELD_ERRORS else field, code))
    return problems


def validation_problems(obj: models.Model, reported: Iterable[str | None] = ()) -> list[Problem]:
    """What is wrong with `obj` by the catalogue's rules, skipping fields in `reported`.

    Text no database could store alike (`talks.text`) is reported first, and its field
    not validated further. Field validators and `clean()` cover every check constraint,
    so Django's per-row constraint queries are skipped; uniqueness is checked by the
    caller, and so is the existence of related objects, which callers look up before
    they get here.
    """
    reported = set(reported)
    problems = []
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if field.name in reported or not isinstance(value, str):
            continue
        if (error := text_error(value)) is not None:
            problems.append(Problem(error.messages[0], field.name, error.code))
    reported |= {problem.field for problem in problems}
    foreign_keys = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    try:
        obj.full_clean(
            exclude=[*foreign_keys, *(p.field for p in problems)],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        found = _problems_from(error)
        problems += [p for p in found if p.field is None or p.field not in reported]
    return problems


def _validate(obj: models.Model, problems: list[Problem]) -> None:
    """Raise every problem of `obj` and the ones already found, or nothing."""
    problems = problems + validation_problems(obj, {p.field for p in problems})
    if "slug" not in {p.field for p in problems}:
        problems = problems + _check_slug_free(obj)
    if problems:
        raise ApplicationError(problems)


def _check_slug_free(obj: models.Model) -> list[Problem]:
    model = type(obj)
    if model.objects.filter(slug=obj.slug).exclude(pk=obj.pk).exists():
        return [Problem(SLUG_TAKEN.format(slug=obj.slug, model=_verbose(model)), "slug", "unique")]
    return []


def _unique_slug(model: type[models.Model], text: str) -> str:
    """A slug from `text` that no row of `model` has yet: "title", "title-2", ..."""
    base = slugify(text)[: SLUG_MAX_LENGTH - 8].strip("-") or model._meta.model_name
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _write(model: type[M], work: Callable[[], M], *, retry_on_slug: bool) -> M:
    """Run `work` in one transaction; a lost race for a slug becomes a clean error.

    Two requests can both find a slug free; the unique constraint lets one commit. The
    loser retries when the slug was derived, and is told "unique" when the client chose it.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                announce()
                return work()
        except IntegrityError as error:
            text = str(error).lower()
            if "slug" in text:
                if retry_on_slug and attempt < 2:
                    continue
                raise ApplicationError.one(
                    f"This slug is already used by another {_verbose(model)}.",
                    field="slug",
                    code="unique",
                ) from error
            if "foreign key" in text:
                raise ApplicationError.one(
                    GONE_MEANWHILE.format(model=_verbose(model)), code="not_found"
                ) from error
            raise
    raise AssertionError("unreachable")


def _log(actor, obj: models.Model, action: int, changed: Sequence[str] = ()) -> None:
    """Record the change in the admin's history of `obj`."""
    if actor is None:
        return
    if action == ADDITION:
        message = [{"added": {}}]
    elif action == CHANGE:
        names = [str(obj._meta.get_field(name).verbose_name).capitalize() for name in changed]
        message = [{"changed": {"fields": names}}] if names else ""
    else:
        message = ""
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=action,
        change_message=message,
        single_object=True,
    )


TEXT_FIELDS = {"CharField", "TextField", "URLField", "SlugField"}


def _normalize(model: type[models.Model], fields: dict[str, Any]) -> dict[str, Any]:
    """Text as the admin's forms would take it: stripped, and null as "" where "" means
    unknown."""
    result = {}
    for name, value in fields.items():
        field = model._meta.get_field(name)
        if field.get_internal_type() in TEXT_FIELDS:
            if isinstance(value, str):
                value = value.strip()
            elif value is None and not field.null and field.blank:
                value = ""
        result[name] = value
    return result


def _apply(obj: models.Model, fields: dict[str, Any]) -> list[str]:
    """Set `fields` on `obj`; the names of those whose value changed."""
    changed = []
    for name, value in _normalize(type(obj), fields).items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


def _current(obj: M, if_version: int | None) -> M:
    """`obj` as stored now, its row locked until the transaction ends (on SQLite every
    writing transaction holds the database: settings' IMMEDIATE transactions); Conflict
    unless `if_version` is None or the stored version."""
    model = type(obj)
    current = model.objects.select_for_update().filter(pk=obj.pk).first()
    if current is None:
        raise NotFound.one(NOT_FOUND.format(model=_verbose(model)), field="id", code="not_found")
    if if_version is not None and current.version != if_version:
        message = CHANGED_MEANWHILE.format(
            model=_verbose(model), current=current.version, expected=if_version
        )
        raise Conflict.one(message, field="if_version", code="conflict")
    return current


def _saved(obj: M) -> M:
    """`obj` after a save, with the version the database gave it."""
    obj.refresh_from_db(fields=["version"])
    return obj


def _refuse_if_has_talks(obj: models.Model, count: int) -> None:
    if count:
        raise Protected.one(
            STILL_HAS_TALKS.format(
                model=_verbose(type(obj)), count=count, s="" if count == 1 else "s"
            ),
            code="protected",
        )


# --- named objects: events, speakers, topics -------------------------------------------


class NamedObjects:
    """The writes of one kind of object with a name and a slug that talks refer to:
    events, speakers or topics. `links` gives an object's links to talks, which refuse
    its delete while there are any."""

    def __init__(
        self,
        model: type[M],
        *,
        links: Callable[[M], models.Manager],
        check: Callable[[M], list[Problem]] | None = None,
    ) -> None:
        self.model, self.links, self.check = model, links, check

    def create(self, *, actor=None, name: str, slug: str | None = None, **fields) -> M:
        model = self.model

        def work() -> M:
            obj = model(**_normalize(model, {**fields, "name": name, "slug": slug}))
            obj.slug = obj.slug or _unique_slug(model, obj.name or "")
            _validate(obj, [])
            obj.save()
            _log(actor, obj, ADDITION)
            return obj

        return _write(model, work, retry_on_slug=slug is None)

    def update(self, obj: M, *, actor=None, if_version: int | None = None, **fields) -> M:
        def work() -> M:
            current = _current(obj, if_version)
            changed = _apply(current, fields)
            if not changed:
                return current
            _validate(current, self.check(current) if self.check else [])
            current.save()
            if "name" in changed:  # talks are found by these names too
                refresh_talk_search(talks_naming(self.model, [current.pk]))
            _log(actor, current, CHANGE, changed)
            return _saved(current)

        return _write(self.model, work, retry_on_slug=False)

    def delete(self, obj: M, *, actor=None, if_version: int | None = None) -> None:
        with transaction.atomic():
            announce()
            current = _current(obj, if_version)
            _refuse_if_has_talks(current, self.links(current).count())
            _log(actor, current, DELETION)
            current.delete()


# An event's days and time zone hold its scheduled talks.
EVENTS = NamedObjects(Event, links=lambda event: event.talks, check=event_slot_problems)
# Refused while the speaker is billed on any talk: deleting would rewrite billings.
SPEAKERS = NamedObjects(Speaker, links=lambda speaker: speaker.talk_speakers)
TOPICS = NamedObjects(Topic, links=lambda topic: topic.talks)
event_create, event_update, event_delete = EVENTS.create, EVENTS.update, EVENTS.delete
speaker_create, speaker_update, speaker_delete = SPEAKERS.create, SPEAKERS.update, SPEAKERS.delete
topic_create, topic_update, topic_delete = TOPICS.create, TOPICS.update, TOPICS.delete


# --- talks -----------------------------------------------------------------------------


def _resolve(model: type[M], pk: int | None, field: str, problems: list[Problem]) -> M | None:
    obj = None if pk is None else model.objects.filter(pk=pk).first()
    if obj is None:
        problems.append(Problem(NOT_FOUND.format(model=_verbose(model)), field, "not_found"))
    return obj


def _resolve_list(
    model: type[M], pks: Sequence[int], field: str, problems: list[Problem]
) -> list[M]:
    """The objects for `pks` in the given order; duplicates and unknown IDs are problems."""
    found = model.objects.in_bulk(list(pks))
    seen: set[int] = set()
    result = []
    for position, pk in enumerate(pks):
        if pk in seen:
            message = LISTED_TWICE.format(model=_verbose(model), position=position)
            problems.append(Problem(message, field, "duplicate"))
        elif pk not in found:
            message = NOT_FOUND_IN_LIST.format(model=_verbose(model), position=position)
            problems.append(Problem(message, field, "not_found"))
        else:
            result.append(found[pk])
        seen.add(pk)
    return result


def _set_speakers(talk: Talk, speakers: Sequence[Speaker]) -> bool:
    current = list(talk.talk_speakers.order_by("position").values_list("speaker_id", flat=True))
    if current == [s.pk for s in speakers]:
        return False
    talk.talk_speakers.all().delete()
    TalkSpeaker.objects.bulk_create(
        TalkSpeaker(talk=talk, speaker=speaker, position=position)
        for position, speaker in enumerate(speakers)
    )
    return True


def _set_topics(talk: Talk, topics: Sequence[Topic]) -> bool:
    if set(talk.topics.values_list("pk", flat=True)) == {t.pk for t in topics}:
        return False
    talk.topics.set(topics)
    return True


def talk_create(
    *,
    actor=None,
    title: str,
    event: int | None,
    speakers: Sequence[int] = (),
    topics: Sequence[int] = (),
    slug: str | None = None,
    start: Any = KEEP,
    end: Any = KEEP,
    room: Any = KEEP,
    track: Any = KEEP,
    **fields,
) -> Talk:
    """A new talk. `event`, `speakers` (billing order) and `topics` are primary keys, and
    so are the `room` and `track` of its slot (`start`, `end`), if it has one."""

    def work() -> Talk:
        problems: list[Problem] = []
        talk = Talk(**_normalize(Talk, {**fields, "title": title, "slug": slug}))
        talk.slug = talk.slug or _unique_slug(Talk, talk.title or "")
        talk.event = _resolve(Event, event, "event", problems)
        speaker_objs = _resolve_list(Speaker, speakers, "speakers", problems)
        topic_objs = _resolve_list(Topic, topics, "topics", problems)
        if talk.event_id is not None:
            slot = {"start": start, "end": end, "room": room, "track": track}
            scheduled(talk, problems, speakers=[s.pk for s in speaker_objs], **slot)
        _validate(talk, problems)
        talk.save()
        _set_speakers(talk, speaker_objs)
        _set_topics(talk, topic_objs)
        refresh_talk_search([talk.pk])
        _log(actor, talk, ADDITION)
        return _saved(talk)

    return _write(Talk, work, retry_on_slug=slug is None)


def talk_update(
    talk: Talk,
    *,
    actor=None,
    if_version: int | None = None,
    event: int | None = None,
    speakers: Sequence[int] | None = None,
    topics: Sequence[int] | None = None,
    start: Any = KEEP,
    end: Any = KEEP,
    room: Any = KEEP,
    track: Any = KEEP,
    **fields,
) -> Talk:
    """Change the given fields; `speakers`, when given, replaces the ordered list. The
    slot's `start`, `end`, `room` and `track`, when given, are set (None clears)."""

    def work() -> Talk:
        current = _current(talk, if_version)
        problems: list[Problem] = []
        changed = _apply(current, fields)
        if event is not None and event != current.event_id:
            new_event = _resolve(Event, event, "event", problems)
            if new_event is not None:
                current.event = new_event
                changed.append("event")
        speaker_objs = (
            None if speakers is None else _resolve_list(Speaker, speakers, "speakers", problems)
        )
        topic_objs = None if topics is None else _resolve_list(Topic, topics, "topics", problems)
        changed += scheduled(
            current,
            problems,
            start=start,
            end=end,
            room=room,
            track=track,
            speakers=None if speaker_objs is None else [s.pk for s in speaker_objs],
            moved="event" in changed,
        )
        _validate(current, problems)
        if changed:
            current.save()
        if speaker_objs is not None and _set_speakers(current, speaker_objs):
            changed.append("speakers")
        if topic_objs is not None and _set_topics(current, topic_objs):
            changed.append("topics")
        if not changed:
            return current
        refresh_talk_search([current.pk])
        _log(actor, current, CHANGE, changed)
        return _saved(current)

    return _write(Talk, work, retry_on_slug=False)


def talk_delete(talk: Talk, *, actor=None, if_version: int | None = None) -> None:
    with transaction.atomic():
        announce()
        current = _current(talk, if_version)
        _log(actor, current, DELETION)
        current.delete()
        transaction.on_commit(forget_corrections)  # its words' counts went down


@dataclass(frozen=True)
class Writes:
    """A model's create, update and delete, for callers that write any model (the admin,
    the GraphQL mutations); `NamedObjects` are the same three."""

    create: Callable[..., Any]
    update: Callable[..., Any]
    delete: Callable[..., None]


TALKS = Writes(talk_create, talk_update, talk_delete)
