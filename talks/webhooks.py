"""Webhooks: creating and deleting them, and delivering the change log to them.

A delivery is a POST of

    {"type": "change", "timestamp": "...",
     "data": {"id", "action", "nodeId", "type", "version", "at"}}

with the Standard Webhooks headers (`webhook-id`: the change's id, the same on every
attempt, so that receivers can drop repeats; `webhook-timestamp`; `webhook-signature`:
`v1,<base64 HMAC-SHA256>` by the `standardwebhooks` library). Each webhook gets its
changes one at a time, in log order: the next is sent once the last was delivered or
given up on. A failure (an error status, a timeout, no connection) is retried after
WEBHOOK_RETRY_DELAYS seconds (the last delay repeated) until the change has been
failing for WEBHOOK_GIVE_UP_SECONDS (24 hours); then it is marked failed and the next
one goes. A receiver that is down for a while therefore loses nothing.

URLs to private, loopback or link-local addresses are refused, at creation and at
every delivery (a name may resolve elsewhere later), unless WEBHOOKS_ALLOW_PRIVATE.
"""

import base64
import ipaddress
import json
import secrets
import socket
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook as Signer

from talks.changes import last_change_id
from talks.models import Change, DeliveryStatus, Event, Webhook, WebhookDelivery
from talks.problems import ApplicationError, NotFound, Problem

TYPE_NAMES = {"TALK": "Talk", "SPEAKER": "Speaker", "EVENT": "Event", "TOPIC": "Topic"}
PRIVATE = "Webhooks may not go to private, loopback or link-local addresses ({address})."
NOT_HTTP = "A webhook's URL is http:// or https://."


def _global_id(kind: str, pk: int) -> str:
    return base64.b64encode(f"{TYPE_NAMES[kind]}:{pk}".encode()).decode()


def refused_address(url: str) -> str | None:
    """Why `url` may not be called (a private address it resolves to), or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return NOT_HTTP
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except OSError:
        return None  # unknown today: tried, and refused if private, at each delivery
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            return PRIVATE.format(address=address)
    return None


def webhook_create(
    *, actor, url: str, types: Sequence[str] | None = None, event: int | None = None
) -> tuple[Webhook, str]:
    """A new webhook for the changes logged from now on; its secret (shown once)."""
    problems = []
    url = (url or "").strip()
    if (why := refused_address(url)) is not None:
        problems.append(Problem(why, "url", "invalid"))
    if event is not None and not Event.objects.filter(pk=event).exists():
        problems.append(Problem("No event has this ID.", "event", "not_found"))
    if problems:
        raise ApplicationError(problems)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    with transaction.atomic():
        webhook = Webhook.objects.create(
            user=actor,
            url=url,
            secret=secret,
            types=sorted(set(types)) if types else None,
            event_id=event,
            done_through=last_change_id(),
        )
    return webhook, secret


def webhook_delete(webhook: Webhook) -> None:
    if not Webhook.objects.filter(pk=webhook.pk).delete()[0]:
        raise NotFound.one("No webhook has this ID.", field="id", code="not_found")


def _next_change(webhook: Webhook) -> Change | None:
    changes = Change.objects.filter(id__gt=webhook.done_through)
    if webhook.types:
        changes = changes.filter(kind__in=webhook.types)
    if webhook.event_id is not None:
        changes = changes.filter(event_id=webhook.event_id)
    return changes.order_by("id").first()


def body_of(change: Change, now) -> bytes:
    data = {
        "id": str(change.id),
        "action": change.action,
        "nodeId": _global_id(change.kind, change.object_id),
        "type": change.kind,
        "version": change.version,
        "at": change.at.isoformat(),
    }
    return json.dumps({"type": "change", "timestamp": now.isoformat(), "data": data}).encode()


def _retry_delay(attempts: int) -> float:
    delays = settings.WEBHOOK_RETRY_DELAYS
    return delays[min(attempts, len(delays)) - 1]


def deliver_next(webhook: Webhook, http: httpx.Client) -> bool:
    """Send `webhook` its next change if it is due; whether there was one to send now."""
    change = _next_change(webhook)
    if change is None:
        return False
    now = timezone.now()
    delivery, _ = WebhookDelivery.objects.get_or_create(webhook=webhook, change_id=change.id)
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return False
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    body = body_of(change, now)
    headers = {
        "content-type": "application/json",
        "webhook-id": str(change.id),
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Signer(webhook.secret).sign(str(change.id), now, body),
    }
    try:
        if (why := refused_address(webhook.url)) is not None:
            raise httpx.RequestError(why)
        answer = http.post(webhook.url, content=body, headers=headers)
        delivery.last_status_code, delivery.last_error = answer.status_code, ""
        delivered = 200 <= answer.status_code < 300
    except httpx.HTTPError as error:
        delivery.last_error, delivered = str(error)[:300] or type(error).__name__, False
    if delivered:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            DeliveryStatus.DELIVERED,
            timezone.now(),
            None,
        )
    elif now - delivery.first_attempt_at >= timedelta(seconds=settings.WEBHOOK_GIVE_UP_SECONDS):
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = now + timedelta(seconds=_retry_delay(delivery.attempts))
    with transaction.atomic():
        delivery.save()
        if delivery.status != DeliveryStatus.PENDING:
            Webhook.objects.filter(pk=webhook.pk).update(done_through=change.id)
            webhook.done_through = change.id
    return delivery.status != DeliveryStatus.PENDING


def deliver_due() -> int:
    """One round: each webhook's due changes, in order, until none is due; how many
    deliveries were made or given up."""
    done = 0
    with httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False) as http:
        for webhook in Webhook.objects.order_by("id"):
            while deliver_next(webhook, http):
                done += 1
    return done
