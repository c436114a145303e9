"""Versions are kept by the database: every write raises them, whoever makes it, and no
writer can store one of its own."""

import pytest
from django.db import connection

from talks import services
from talks.models import Speaker, Talk, Topic
from talks.search import refresh_talk_search
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db


def version(obj) -> int:
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_a_service_write_raises_the_version_and_returns_it():
    talk = services.talk_create(title="First", event=EventFactory().pk)
    assert talk.version == version(talk) >= 1
    changed = services.talk_update(talk, title="Second")
    assert changed.version == version(talk) > talk.version
    unchanged = services.talk_update(changed, title="Second")
    assert unchanged.version == changed.version  # nothing changed, nothing raised


@pytest.mark.parametrize(
    ("model", "column"),
    [
        ("talks_talk", "title"),
        ("talks_speaker", "bio"),
        ("talks_event", "city"),
        ("talks_topic", "name"),
    ],
)
def test_raw_sql_raises_it_too(model, column):
    obj = {
        "talks_talk": TalkFactory,
        "talks_speaker": SpeakerFactory,
        "talks_event": EventFactory,
        "talks_topic": TopicFactory,
    }[model]()
    before = version(obj)
    sql(f"UPDATE {model} SET {column} = %s WHERE id = %s", "changed by hand", obj.pk)
    assert version(obj) == before + 1


def test_a_stale_save_keeps_the_version_another_writer_raised():
    talk = TalkFactory()
    stale = Talk.objects.get(pk=talk.pk)
    services.talk_update(talk, title="Someone else's change")
    raised = version(talk)
    stale.abstract = "Mine, from an old copy"
    stale.save()  # writes its old version back, with a change
    assert version(talk) == raised + 1
    unchanged = Talk.objects.get(pk=talk.pk)
    before = version(unchanged)
    sql("UPDATE talks_talk SET version = 1 WHERE id = %s", talk.pk)  # no writer sets it
    assert version(talk) == before


def test_a_talks_speakers_and_topics_are_part_of_it():
    speaker, topic = SpeakerFactory(), TopicFactory()
    talk = TalkFactory()
    before = version(talk)
    services.talk_update(talk, speakers=[speaker.pk])
    after_speakers = version(talk)
    assert after_speakers > before
    sql("DELETE FROM talks_talk_topics WHERE talk_id = %s", talk.pk)  # nothing to delete
    assert version(talk) == after_speakers
    talk.topics.add(topic)
    assert version(talk) > after_speakers


def test_what_the_database_keeps_does_not_raise_it():
    speaker = SpeakerFactory()
    talk = TalkFactory(speakers=[speaker], topics=[TopicFactory()])
    speaker_version, talk_version = version(speaker), version(talk)
    TalkFactory(speakers=[speaker])  # the speaker's talk count moves
    refresh_talk_search([talk.pk])  # the talk's search vector is rebuilt
    assert Speaker.objects.get(pk=speaker.pk).talk_count == 2
    assert (version(speaker), version(talk)) == (speaker_version, talk_version)


def test_a_stale_if_version_changes_and_deletes_nothing():
    topic = TopicFactory(name="Old")
    read = version(topic)
    services.topic_update(topic, name="Newer")
    with pytest.raises(services.Conflict) as conflict:
        services.topic_update(topic, if_version=read, name="Mine")
    assert conflict.value.problems[0].code == "conflict"
    assert f"it is at version {version(topic)}, not {read}" in str(conflict.value)
    with pytest.raises(services.Conflict):
        services.topic_delete(topic, if_version=read)
    assert Topic.objects.get(pk=topic.pk).name == "Newer"
    services.topic_delete(topic, if_version=version(topic))
    assert not Topic.objects.filter(pk=topic.pk).exists()
