"""API tokens: issuing, revoking, and recognising the bearer of one."""

import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from talks.models import ApiToken

# How often a token's "last used" time is written: at most once a minute per token.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


class InvalidToken(Exception):
    """The bearer token is malformed, unknown, expired or revoked, or its user cannot log in."""


NOT_A_PERMISSION = "{permission!r} is not a permission (app.codename, e.g. talks.change_talk)."
NOT_THE_USERS = (
    "{username} does not have the permission {permission}: a token can only narrow its "
    "user's permissions, never widen them."
)


def checked_permissions(user, permissions) -> list[str] | None:
    """The permissions a token is narrowed to, each one its user has; ValueError if not."""
    if permissions is None:
        return None
    checked = []
    for permission in permissions:
        app_label, _, codename = permission.partition(".")
        known = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        if not codename or not known.exists():
            raise ValueError(NOT_A_PERMISSION.format(permission=permission))
        if not user.has_perm(permission):
            raise ValueError(NOT_THE_USERS.format(username=user, permission=permission))
        checked.append(permission)
    return sorted(set(checked))


def token_allows(user, permission: str) -> bool:
    """Whether a token's user may act with `permission`: the user must have it, and a
    token narrowed to some permissions must list it. Reads the database."""
    token = getattr(user, "api_token", None)
    narrowed = token is not None and token.permissions is not None
    return user.has_perm(permission) and (not narrowed or permission in token.permissions)


def token_create(
    *, user, name: str, expires_in_days: int | None = None, permissions=None
) -> tuple[ApiToken, str]:
    """A new token and its secret; the secret is not stored and cannot be shown again.
    With `permissions` (each one the user has), the token acts with those only."""
    permissions = checked_permissions(user, permissions)
    secret = ApiToken.new_secret()
    expires_at = None
    if expires_in_days is not None:
        expires_at = timezone.now() + datetime.timedelta(days=expires_in_days)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(ApiToken.SECRET_PREFIX) + 6],
        secret_hash=ApiToken.hash(secret),
        expires_at=expires_at,
        permissions=permissions,
    )
    return token, secret


def token_revoke(*, user, name: str | None = None) -> int:
    """Revoke the user's usable tokens (only those called `name`, if given); how many."""
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    if name is not None:
        tokens = tokens.filter(name=name)
    return tokens.update(revoked_at=timezone.now())


def token_user(secret: str):
    """The active user a token secret belongs to, with the token as `user.api_token`;
    InvalidToken otherwise."""
    if not secret.startswith(ApiToken.SECRET_PREFIX) or len(secret) > 200:
        raise InvalidToken("The bearer token is malformed.")
    token = (
        ApiToken.objects.select_related("user").filter(secret_hash=ApiToken.hash(secret)).first()
    )
    if token is None:
        raise InvalidToken("The bearer token is not known.")
    if token.revoked_at is not None:
        raise InvalidToken("The bearer token was revoked.")
    if not token.is_usable:
        raise InvalidToken("The bearer token has expired.")
    if not token.user.is_active:
        raise InvalidToken("The bearer token's user is deactivated.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        with transaction.atomic():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.user
    user.api_token = token
    return user


def user_by_username(username: str):
    return get_user_model().objects.get(username=username)
