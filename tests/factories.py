"""factory_boy factories for the catalogue models."""

import datetime

import factory

from talks.models import Event, Room, Speaker, Talk, TalkSpeaker, Topic, Track


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"event-{n}")
    name = factory.Sequence(lambda n: f"Event {n}")
    starts_on = factory.Sequence(lambda n: datetime.date(2000, 1, 1) + datetime.timedelta(days=n))
    ends_on = factory.LazyAttribute(
        lambda e: e.starts_on and e.starts_on + datetime.timedelta(days=2)
    )


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    # Never the slug its name makes ("Speaker 1826" makes speaker-1826): an import that
    # finds speakers by the slug of their name would take a new person for this one.
    slug = factory.Sequence(lambda n: f"speaker-{n}-made")
    name = factory.Sequence(lambda n: f"Speaker {n:04d}")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"Topic {n:04d}")


class TalkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Talk
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"talk-{n}")
    title = factory.Sequence(lambda n: f"Talk {n:04d}")
    event = factory.SubFactory(EventFactory)
    recorded_on = factory.Sequence(lambda n: datetime.date(2010, 1, 1) + datetime.timedelta(days=n))

    @factory.post_generation
    def speakers(talk, create, speakers, **kwargs):
        for position, speaker in enumerate(speakers or []):
            TalkSpeaker.objects.create(talk=talk, speaker=speaker, position=position)

    @factory.post_generation
    def topics(talk, create, topics, **kwargs):
        if topics:
            talk.topics.set(topics)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    event = factory.SubFactory(EventFactory)
    slug = factory.Sequence(lambda n: f"room-{n}")
    name = factory.Sequence(lambda n: f"Room {n}")
    position = factory.Sequence(lambda n: n)


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    event = factory.SubFactory(EventFactory)
    slug = factory.Sequence(lambda n: f"track-{n}")
    name = factory.Sequence(lambda n: f"Track {n}")
