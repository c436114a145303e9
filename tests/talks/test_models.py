"""Database constraints hold even when application code is bypassed."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from talks.models import Event, Talk, TalkSpeaker
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory


def violates(**kwargs):
    return pytest.raises(IntegrityError, **kwargs)


@pytest.mark.django_db
class TestConstraints:
    @pytest.mark.parametrize("factory", [EventFactory, SpeakerFactory, TopicFactory, TalkFactory])
    def test_slugs_are_unique(self, factory):
        factory(slug="same")
        with violates(), transaction.atomic():
            factory(slug="same")

    @pytest.mark.parametrize("factory", [EventFactory, SpeakerFactory, TopicFactory, TalkFactory])
    def test_slugs_are_not_blank(self, factory):
        with violates(), transaction.atomic():
            factory(slug="")

    def test_event_cannot_end_before_it_starts(self):
        with violates(), transaction.atomic():
            EventFactory(starts_on=datetime.date(2019, 4, 10), ends_on=datetime.date(2019, 4, 9))
        EventFactory(starts_on=datetime.date(2019, 4, 10), ends_on=datetime.date(2019, 4, 10))
        EventFactory(starts_on=None, ends_on=datetime.date(2019, 4, 10))

    @pytest.mark.parametrize("minutes", [0, -5])
    def test_duration_must_be_positive(self, minutes):
        with violates(), transaction.atomic():
            TalkFactory(duration_minutes=minutes)

    def test_unknown_duration_is_allowed(self):
        assert TalkFactory(duration_minutes=None).duration_minutes is None

    @pytest.mark.parametrize(
        ("model_factory", "field"),
        [(TalkFactory, "kind"), (TalkFactory, "level"), (EventFactory, "kind")],
    )
    def test_enum_columns_take_only_known_values(self, model_factory, field):
        with violates(), transaction.atomic():
            model_factory(**{field: "keynote-ish"})

    def test_level_may_be_unknown(self):
        assert TalkFactory(level=None).level is None

    def test_a_speaker_is_billed_once_per_talk(self):
        speaker = SpeakerFactory()
        talk = TalkFactory(speakers=[speaker])
        with violates(), transaction.atomic():
            TalkSpeaker.objects.create(talk=talk, speaker=speaker, position=1)

    def test_two_speakers_cannot_share_a_billing_position(self):
        talk = TalkFactory(speakers=[SpeakerFactory()])
        with violates(), transaction.atomic():
            TalkSpeaker.objects.create(talk=talk, speaker=SpeakerFactory(), position=0)

    def test_an_event_with_talks_cannot_be_deleted(self):
        from django.db.models import ProtectedError

        talk = TalkFactory()
        with pytest.raises(ProtectedError):
            talk.event.delete()
        assert Event.objects.filter(pk=talk.event_id).exists()

    def test_long_real_world_slugs_and_urls_fit(self):
        talk = TalkFactory(slug="s" * 150, video_url="https://example.org/" + "v" * 350)
        talk.full_clean()
        assert Talk.objects.get(pk=talk.pk).slug == "s" * 150
