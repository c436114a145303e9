"""Writes of an event's rooms and tracks, as `talks.services` writes the catalogue: a
slug unique within the event, the event given by primary key, a delete refused while
talks are in the room or track."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.db import transaction
from django.utils.text import slugify

from talks.models import Event, Room, Track
from talks.problems import ApplicationError, Problem
from talks.services import (
    SLUG_TAKEN,
    _apply,
    _current,
    _log,
    _normalize,
    _refuse_if_has_talks,
    _resolve,
    _saved,
    _verbose,
    _write,
    validation_problems,
)


def _slug_in_event(model: type, event_id: int | None, text: str) -> str:
    base = slugify(text)[:92].strip("-") or model._meta.model_name
    taken = set(
        model.objects.filter(event_id=event_id, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    number, slug = 2, base
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _slug_free_in_event(obj) -> list[Problem]:
    model = type(obj)
    others = model.objects.filter(event_id=obj.event_id, slug=obj.slug).exclude(pk=obj.pk)
    if obj.slug and others.exists():
        taken = SLUG_TAKEN.format(slug=obj.slug, model=_verbose(model))
        message = taken.removesuffix(".") + " of this event."
        return [Problem(message, "slug", "unique")]
    return []


def _check(obj, problems: list[Problem]) -> None:
    problems = problems + validation_problems(obj, {p.field for p in problems})
    if "slug" not in {p.field for p in problems}:
        problems += _slug_free_in_event(obj)
    if problems:
        raise ApplicationError(problems)


class EventParts:
    """The create, update and delete of an event's rooms or of its tracks."""

    def __init__(self, model: type) -> None:
        self.model = model

    def create(self, *, actor=None, event: int | None, name: str, slug=None, **fields):
        model = self.model

        def work():
            problems: list[Problem] = []
            obj = model(**_normalize(model, {**fields, "name": name, "slug": slug}))
            obj.event = _resolve(Event, event, "event", problems)
            obj.slug = obj.slug or _slug_in_event(model, event, obj.name or "")
            _check(obj, problems)
            obj.save()
            _log(actor, obj, ADDITION)
            return _saved(obj)

        return _write(model, work, retry_on_slug=slug is None)

    def update(self, obj, *, actor=None, if_version=None, event: int | None = None, **fields):
        def work():
            current = _current(obj, if_version)
            problems: list[Problem] = []
            changed = _apply(current, fields)
            if event is not None and event != current.event_id:
                current.event = _resolve(Event, event, "event", problems)
                changed.append("event")
                if current.talks.exists():
                    message = f"Talks are in this {_verbose(self.model)}; it stays in its event."
                    problems.append(Problem(message, "event", "protected"))
            if not changed:
                return current
            _check(current, problems)
            current.save()
            _log(actor, current, CHANGE, changed)
            return _saved(current)

        return _write(self.model, work, retry_on_slug=False)

    def delete(self, obj, *, actor=None, if_version=None) -> None:
        with transaction.atomic():
            current = _current(obj, if_version)
            _refuse_if_has_talks(current, current.talks.count())
            _log(actor, current, DELETION)
            current.delete()


ROOMS = EventParts(Room)
TRACKS = EventParts(Track)
