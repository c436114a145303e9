"""The change log is written by the database in the writer's transaction: one row per
created, changed or deleted talk, speaker, event or topic, whoever writes, none for a
rolled-back write or for what the database keeps by itself (counts)."""

import pytest
from django.db import connection, transaction

from talks import services
from talks.changes import changes_after, last_change_id, prune_changes
from talks.models import Change, Talk
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db


def logged(after: int) -> list[tuple]:
    return [(c.kind, c.object_id, c.action, c.version, c.event_id) for c in changes_after(after)]


def test_creating_changing_and_deleting_a_talk_is_logged_with_its_versions():
    event = EventFactory()
    start = last_change_id()
    talk = services.talk_create(title="Logged", event=event.pk)
    changed = services.talk_update(talk, title="Logged, again")
    services.talk_delete(changed)
    assert logged(start) == [
        ("TALK", talk.pk, "CREATED", 1, event.pk),
        ("TALK", talk.pk, "UPDATED", 2, event.pk),
        ("TALK", talk.pk, "DELETED", 2, event.pk),
    ]


def test_a_rolled_back_write_leaves_nothing():
    start = last_change_id()
    with transaction.atomic():
        TopicFactory()
        transaction.set_rollback(True)
    assert logged(start) == []


def test_billing_a_speaker_changes_the_talk_not_the_speaker():
    talk, speaker = TalkFactory(), SpeakerFactory()
    start = last_change_id()
    services.talk_update(talk, speakers=[speaker.pk])  # the speaker's talk count moves too
    assert logged(start) == [("TALK", talk.pk, "UPDATED", 2, talk.event_id)]


def test_raw_sql_is_logged_too():
    topic = TopicFactory()
    start = last_change_id()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE talks_topic SET name = 'Renamed' WHERE id = %s", [topic.pk])
    assert logged(start) == [("TOPIC", topic.pk, "UPDATED", 2, None)]


def test_an_event_s_changes_are_found_by_the_event():
    mine, other = EventFactory(), EventFactory()
    start = last_change_id()
    TalkFactory(event=mine)
    TalkFactory(event=other)
    services.event_update(mine, name="Mine")
    found = changes_after(start, event_id=mine.pk)
    assert [(c.kind, c.action) for c in found] == [("TALK", "CREATED"), ("EVENT", "UPDATED")]
    assert [c.kind for c in changes_after(start, kinds=["EVENT"])] == ["EVENT"]


def test_prune_keeps_the_recent_changes():
    TopicFactory()
    Change.objects.update(at="2000-01-01T00:00:00Z")
    TopicFactory()
    assert prune_changes(30) >= 1
    assert Change.objects.count() == 1


def test_an_import_logs_one_change_a_talk(tmp_path):
    from tests.commands.test_import_export import SAMPLE, run

    start = last_change_id()
    run("import_catalogue", str(SAMPLE), "--quiet")
    talks = Change.objects.filter(id__gt=start, kind="TALK")
    assert talks.filter(action="CREATED").count() == Talk.objects.count() == 300
    again = last_change_id()
    run("import_catalogue", str(SAMPLE), "--quiet")
    assert last_change_id() == again  # nothing changed: nothing logged
