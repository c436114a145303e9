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
