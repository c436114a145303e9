"""Who may reach the API and what they may send: API tokens and registered operations."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A bearer token for tooling. Only a hash of the secret is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. ci-import.")
    prefix = models.CharField(
        max_length=12, editable=False, help_text="The secret's first characters, to recognise it."
    )
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    permissions = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text=(
            'The only permissions the token acts with, as "app.codename" (those its user '
            "also has); empty: all of its user's."
        ),
    )

    SECRET_PREFIX = "talks_"

    class Meta:
        verbose_name = "API token"
        indexes = [models.Index(fields=["user", "name"], name="apitoken_user_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    @staticmethod
    def hash(secret: str) -> str:
        # Secrets are 256 random bits, so a fast hash is as safe as a slow one here.
        return hashlib.sha256(secret.encode()).hexdigest()

    @classmethod
    def new_secret(cls) -> str:
        return cls.SECRET_PREFIX + secrets.token_urlsafe(32)

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()


class PersistedOperation(models.Model):
    """An operation registered from a client's manifest (`register_operations`): what
    `GRAPHQL_PERSISTED_ONLY` lets run, by the SHA-256 of its text."""

    sha256 = models.CharField(max_length=64, primary_key=True, help_text="SHA-256 of `query`.")
    query = models.TextField(help_text="The operation's GraphQL text.")
    name = models.CharField(max_length=200, blank=True, help_text="The operation's name.")
    registered_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name or 'anonymous operation'} ({self.sha256[:12]}…)"


class IdempotencyKey(models.Model):
    """A create a client may retry: the key it sent, what it sent, and what it made.
    A repeat with the same key and input gets what the first made; kept a day."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # The SHA-256 of the operation and its input, as sent.
    fingerprint = models.CharField(max_length=64)
    # What the create made, as "app_label.model" and its primary key.
    made = models.CharField(max_length=100)
    made_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_user_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} of {self.user_id}: {self.made} {self.made_id}"
