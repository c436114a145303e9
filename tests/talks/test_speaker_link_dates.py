"""TalkSpeaker.recorded_on, a copy of the talk's date kept by the database, and the
speaker pages read through it."""

import datetime
import itertools

import pytest

from talks import selectors
from talks.models import Talk, TalkSpeaker
from talks.selectors import RowRange
from tests.factories import EventFactory, SpeakerFactory, TalkFactory

pytestmark = pytest.mark.django_db


def link_dates() -> dict[tuple[int, int], datetime.date | None]:
    return {(link.talk_id, link.speaker_id): link.recorded_on for link in TalkSpeaker.objects.all()}


def talk_dates() -> dict[tuple[int, int], datetime.date | None]:
    return {
        (link.talk_id, link.speaker_id): link.talk.recorded_on
        for link in TalkSpeaker.objects.select_related("talk")
    }


def test_links_take_their_talks_date_whoever_writes_them():
    event, ada, bob = EventFactory(), SpeakerFactory(), SpeakerFactory()
    first = TalkFactory(event=event, speakers=[ada], recorded_on=datetime.date(2019, 5, 1))
    second = TalkFactory(event=event, recorded_on=None)
    TalkSpeaker.objects.bulk_create([TalkSpeaker(talk=second, speaker=bob, position=0)])
    assert link_dates() == talk_dates()

    first.recorded_on = datetime.date(2021, 1, 2)
    first.save()
    Talk.objects.filter(pk=second.pk).update(recorded_on=datetime.date(2020, 3, 4))
    TalkSpeaker.objects.filter(talk=first).update(talk=second, position=1)  # moved
    assert link_dates() == talk_dates()

    stale = TalkSpeaker.objects.get(speaker=bob)
    Talk.objects.filter(pk=second.pk).update(recorded_on=None)
    stale.position = 0
    stale.save()  # writes the date it was loaded with back
    assert link_dates() == talk_dates()
    assert stale.talk_id == second.pk and link_dates()[(second.pk, bob.pk)] is None


def test_speaker_pages_newest_first_match_each_speakers_own_order():
    event = EventFactory()
    speakers = [SpeakerFactory() for _ in range(3)]
    dates = itertools.cycle([datetime.date(2020, 1, 1), None, datetime.date(2018, 6, 1)])
    for i in range(14):  # shared talks, equal dates, undated talks
        billed = [speakers[i % 3]] + ([speakers[(i + 1) % 3]] if i % 4 == 0 else [])
        TalkFactory(event=event, speakers=billed, recorded_on=next(dates))
    ids = [s.id for s in speakers]
    for start, stop in ((0, 3), (2, 5), (0, 20)):
        pages = selectors.talk_pages(
            "speaker", ids, filters=None, order="recorded_on_desc", rows=RowRange(start, stop)
        )
        for speaker in speakers:
            own = list(
                Talk.objects.filter(talk_speakers__speaker=speaker).order_by(
                    *selectors.TALK_ORDERINGS["recorded_on_desc"]
                )
            )
            assert pages.get(speaker.id, []) == own[start : stop + 1]
