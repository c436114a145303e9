"""Creates a client may retry: a create sent with an idempotency key makes its object at
most once a day for that key and that input.

The key is kept with the create, in its transaction, under a unique constraint on
(user, key): a retry that comes after the first committed finds the key and gets the
first's object; one that races the first waits on the key's row (PostgreSQL) or on the
database (SQLite's IMMEDIATE transactions), its own create is rolled back when the
key turns out taken, and it then gets the first's object too. Keys are kept in the
database, so they hold across workers and restarts; `KEPT_FOR` later they lapse.
"""

import datetime
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from talks.models import IdempotencyKey
from talks.services import ApplicationError
from talks.text import text_error

KEPT_FOR = datetime.timedelta(hours=24)
MAX_LENGTH = 255
KEY_REUSED = (
    "This idempotency key was used {ago} for a different request; use a new key for a new "
    "request, or send the first request again as it was."
)
MADE_GONE = "The {model} this idempotency key created has been deleted since."


def fingerprint(operation: str, given: dict[str, Any]) -> str:
    """What identifies a request: its operation and its input, as sent."""
    text = json.dumps([operation, given], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str) -> None:
    problem = None
    if not key.strip():
        problem = ("An idempotency key cannot be blank.", "blank")
    elif len(key) > MAX_LENGTH:
        problem = (f"An idempotency key has at most {MAX_LENGTH} characters.", "max_length")
    elif (error := text_error(key)) is not None:
        problem = (error.messages[0], error.code)
    if problem is not None:
        raise ApplicationError.one(problem[0], field="idempotency_key", code=problem[1])


def _ago(when: datetime.datetime) -> str:
    minutes = int((timezone.now() - when).total_seconds() // 60)
    return "just now" if minutes < 1 else f"{minutes} minute{'s' if minutes != 1 else ''} ago"


def _kept(user, key: str, sent: str, model: type[models.Model]) -> models.Model | None:
    """What the key made, if it is kept and the request is the same; None if not kept."""
    keys = IdempotencyKey.objects.filter(user=user, key=key)
    keys.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    kept = keys.first()
    if kept is None:
        return None
    if kept.fingerprint != sent:
        message = KEY_REUSED.format(ago=_ago(kept.created_at))
        raise ApplicationError.one(message, field="idempotency_key", code="idempotency_key_reused")
    made = model.objects.filter(pk=kept.made_id).first()
    if made is None:
        message = MADE_GONE.format(model=model._meta.verbose_name)
        raise ApplicationError.one(message, field="idempotency_key", code="not_found")
    return made


def create_once(
    user, key: str, sent: str, model: type[models.Model], create: Callable[[], models.Model]
) -> models.Model:
    """`create()`'s object, made once for `user`'s `key` and the request `sent`."""
    check_key(key)
    for attempt in range(2):
        try:
            with transaction.atomic():
                if (made := _kept(user, key, sent, model)) is not None:
                    return made
                made = create()
                IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    fingerprint=sent,
                    made=model._meta.label_lower,
                    made_id=made.pk,
                )
                return made
        except IntegrityError:  # a retry that raced the first, which committed its key
            if attempt:
                raise
    raise AssertionError("unreachable")
