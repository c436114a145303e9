"""Speaker.talk_count and Topic.talk_count: kept exact by the database, whoever writes."""

import pytest
from django.db import transaction

from talks import services
from talks.models import Speaker, Talk, TalkSpeaker, Topic
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory

pytestmark = pytest.mark.django_db


def counts(*objects) -> list[int]:
    return [type(obj).objects.get(pk=obj.pk).talk_count for obj in objects]


def true_count(obj) -> int:
    return obj.talks.count()


def test_links_added_one_by_one_in_bulk_and_through_m2m_are_counted():
    event, ada, bob, django = EventFactory(), SpeakerFactory(), SpeakerFactory(), TopicFactory()
    first = TalkFactory(event=event)
    TalkSpeaker.objects.create(talk=first, speaker=ada, position=0)
    TalkSpeaker.objects.bulk_create(
        [TalkSpeaker(talk=TalkFactory(event=event), speaker=bob, position=0) for _ in range(3)]
    )
    first.topics.add(django)
    for talk in Talk.objects.exclude(pk=first.pk):
        talk.topics.add(django)
    assert counts(ada, bob, django) == [1, 3, 4]


def test_removing_moving_and_deleting_links_is_counted():
    event, ada, bob, django = EventFactory(), SpeakerFactory(), SpeakerFactory(), TopicFactory()
    talks = [TalkFactory(event=event) for _ in range(3)]
    for talk in talks:
        TalkSpeaker.objects.create(talk=talk, speaker=ada, position=0)
        talk.topics.add(django)
    TalkSpeaker.objects.filter(talk=talks[0]).update(speaker=bob)  # moved
    talks[1].delete()  # its links go with it
    talks[2].topics.clear()
    assert counts(ada, bob, django) == [1, 1, 1]
    assert counts(ada, bob, django) == [true_count(ada), true_count(bob), true_count(django)]


def test_saving_an_instance_loaded_before_a_change_keeps_the_true_count():
    event, ada = EventFactory(), SpeakerFactory()
    stale = Speaker.objects.get(pk=ada.pk)  # talk_count 0
    TalkSpeaker.objects.create(talk=TalkFactory(event=event), speaker=ada, position=0)
    stale.name = "Ada L."
    stale.save()  # writes every column, the old count included
    Topic.objects.filter(pk=TopicFactory().pk).update(talk_count=99)
    assert counts(ada) == [1]
    assert Topic.objects.get().talk_count == 0


def test_services_and_rolled_back_writes_leave_exact_counts():
    event, ada, django = EventFactory(), SpeakerFactory(), TopicFactory()
    talk = services.talk_create(
        title="Counting", event=event.pk, speakers=[ada.pk], topics=[django.pk]
    )
    assert counts(ada, django) == [1, 1]
    with pytest.raises(RuntimeError), transaction.atomic():
        TalkSpeaker.objects.create(talk=TalkFactory(event=event), speaker=ada, position=0)
        raise RuntimeError("rolled back")
    services.talk_delete(talk=talk)
    assert counts(ada, django) == [0, 0]
