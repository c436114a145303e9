"""The admin's login, throttled: after ADMIN_LOGIN_FAILURES failed logins for one
username, or ADMIN_LOGIN_FAILURES_PER_ADDRESS from one address, within
ADMIN_LOGIN_LOCKOUT_SECONDS, further logins for it (right password or not) are refused
with a message saying when to try again. Failures are counted in the shared cache
(Redis when REDIS_URL is set, so every worker and server counts them together); when it
does not answer, logins are not throttled, and that is logged."""

import hashlib
import math
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from redis.exceptions import RedisError

from edge.shared import Outage, shared_cache

TOO_MANY = (
    "Too many failed logins for this account or from this address. Try again in "
    "{minutes} minute{s}."
)
outage = Outage("admin logins are not throttled")


def _keys(address: str, username: str) -> dict[str, int]:
    """Each counter a login attempt counts in, and its limit."""
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return {
        f"login:address:{address}": settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS,
        f"login:user:{name}": settings.ADMIN_LOGIN_FAILURES,
    }


def _refused_for(keys: dict[str, int]) -> float:
    """Seconds until the counters allow another attempt; 0 now."""
    names = [*keys, *(f"{key}:since" for key in keys)]
    counted = shared_cache().get_many(names)
    now, wait = time.time(), 0.0
    for key, limit in keys.items():
        if counted.get(key, 0) >= limit:
            since = counted.get(f"{key}:since", now)
            wait = max(wait, since + settings.ADMIN_LOGIN_LOCKOUT_SECONDS - now, 1)
    return wait


def _failed(keys: dict[str, int]) -> None:
    """Count a failure in each counter: a window starts at its first failure and lasts
    the lockout (both kept as long), the count rises atomically in it."""
    cache, lockout = shared_cache(), settings.ADMIN_LOGIN_LOCKOUT_SECONDS
    for key in keys:
        cache.add(f"{key}:since", time.time(), timeout=lockout)
        cache.add(key, 0, timeout=lockout)
        try:
            cache.incr(key)
        except ValueError:  # the window ended between the two
            cache.add(key, 1, timeout=lockout)


class ThrottledLoginForm(AdminAuthenticationForm):
    def clean(self):
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        keys = _keys(address, self.cleaned_data.get("username") or "")
        if not outage.ongoing():
            try:
                wait = _refused_for(keys)
            except (RedisError, OSError):
                outage.began()
                wait = 0
            if wait > 0:
                minutes = max(1, math.ceil(wait / 60))
                raise ValidationError(
                    TOO_MANY.format(minutes=minutes, s="" if minutes == 1 else "s"),
                    code="throttled",
                )
        try:
            return super().clean()
        except ValidationError:
            if not outage.ongoing():
                try:
                    _failed(keys)
                except (RedisError, OSError):
                    outage.began()
            raise
