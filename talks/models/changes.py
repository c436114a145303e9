"""The change log: one row for every change to a talk, speaker, event or topic, written
by database triggers in the transaction of the change (migration 0020), whoever makes
it: services, the admin, the importer, raw SQL. A rolled-back write leaves no row."""

from django.db import models


class NodeKind(models.TextChoices):
    TALK = "TALK", "Talk"
    SPEAKER = "SPEAKER", "Speaker"
    EVENT = "EVENT", "Event"
    TOPIC = "TOPIC", "Topic"


class ChangeAction(models.TextChoices):
    CREATED = "CREATED", "Created"
    UPDATED = "UPDATED", "Updated"
    DELETED = "DELETED", "Deleted"


class Change(models.Model):
    """What changed, as the object's kind and primary key (its global ID is the kind's
    type name and the key), how, and the version it has since. `id` only grows: a reader
    that saw change N has seen everything before it once the writers of earlier ids
    have committed (see `talks.changes`)."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=10, choices=NodeKind.choices)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    version = models.BigIntegerField()
    at = models.DateTimeField(db_index=True)
    # The event a talk belongs to (an event's own id), for following one event's changes.
    event_id = models.BigIntegerField(null=True)

    class Meta:
        indexes = [models.Index(fields=["event_id", "id"], name="change_event")]

    def __str__(self) -> str:
        return f"#{self.id} {self.action} {self.kind} {self.object_id} v{self.version}"
