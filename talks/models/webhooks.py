"""Webhooks: the change log (`talks.models.Change`) delivered to other services' URLs,
signed as the Standard Webhooks spec says, by `manage.py deliver_webhooks`."""

from django.conf import settings
from django.db import models


class Webhook(models.Model):
    """A URL that is sent every change logged after the webhook was created (of some
    node types, of one event), in log order, at least once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500, help_text="Where the changes are POSTed.")
    secret = models.CharField(max_length=100, editable=False, help_text="whsec_...: signs them.")
    types = models.JSONField(
        null=True, blank=True, help_text='The node types sent ("TALK", ...); null: all.'
    )
    event_id = models.BigIntegerField(null=True, blank=True, help_text="Only this event's.")
    # The last change the webhook is done with (delivered, or given up on): the next to
    # send is the first after it that it wants. Starts at the log's end when created.
    done_through = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """A change's delivery to a webhook: its attempts and how they went."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    change_id = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True)
    next_attempt_at = models.DateTimeField(null=True)
    last_status_code = models.PositiveIntegerField(null=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    delivered_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["webhook", "change_id"], name="delivery_once")
        ]

    def __str__(self) -> str:
        return f"change {self.change_id} to {self.webhook}: {self.status}"
