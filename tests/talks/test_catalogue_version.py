"""The catalogue's version moves on with every write to talks, speakers, events, topics
and their links, whoever makes it: services, bulk writes, raw SQL."""

import pytest
from django.db import connection

from talks import services
from talks.models import ApiToken, Speaker, Topic
from talks.selectors import catalogue_version
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db


def moves(write) -> bool:
    before = catalogue_version()
    write()
    return catalogue_version() > before


def raw(sql: str, params=()):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


def test_service_writes_move_the_version():
    event, speaker, topic = EventFactory(), SpeakerFactory(), TopicFactory()
    talk = TalkFactory(event=event)
    assert moves(lambda: services.TOPICS.create(name="Caching"))
    assert moves(lambda: services.TALKS.update(talk, title="Renamed"))
    assert moves(lambda: services.TALKS.update(talk, speakers=[speaker.pk], topics=[topic.pk]))
    assert moves(lambda: services.TALKS.delete(talk))


def test_bulk_and_raw_sql_writes_move_it_too():
    talk, speaker, topic = TalkFactory(), SpeakerFactory(), TopicFactory()
    assert moves(lambda: Topic.objects.bulk_create([Topic(name="A", slug="a")]))
    assert moves(lambda: Speaker.objects.filter(pk=speaker.pk).update(name="Raw"))
    assert moves(raw("UPDATE talks_event SET name = 'Raw' WHERE id = %s", [talk.event_id]))
    assert moves(
        raw(
            "INSERT INTO talks_talkspeaker (talk_id, speaker_id, position) VALUES (%s, %s, 0)",
            [talk.pk, speaker.pk],
        )
    )
    assert moves(
        raw(
            "INSERT INTO talks_talk_topics (talk_id, topic_id) VALUES (%s, %s)",
            [talk.pk, topic.pk],
        )
    )
    assert moves(raw("DELETE FROM talks_talk_topics"))


def test_writes_outside_the_catalogue_leave_it(staff_user):
    assert not moves(lambda: ApiToken.objects.create(user=staff_user, name="x", secret_hash="h"))


def test_an_emptied_version_table_starts_again_past_every_earlier_version():
    TopicFactory()
    before = catalogue_version()
    raw("DELETE FROM talks_catalogueversion")()
    assert catalogue_version() == 0
    TopicFactory()
    assert catalogue_version() > before
