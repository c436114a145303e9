"""The schedule's writes: a slot is checked against the event's days in its time zone,
the room's other talks and the speakers' other talks, and nothing is written when a
check fails; rooms and tracks are the event's own."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from talks import event_parts, services
from talks.models import Talk
from talks.problems import ApplicationError
from talks.selectors import catalogue_version
from tests.factories import EventFactory, RoomFactory, SpeakerFactory, TalkFactory, TrackFactory

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def event():
    return EventFactory(
        starts_on=date(2026, 5, 14), ends_on=date(2026, 5, 15), timezone="Europe/Berlin"
    )


def codes(error: pytest.ExceptionInfo) -> list[str]:
    return [problem.code for problem in error.value.problems]


def schedule(talk, **slot):
    return services.talk_update(talk, **slot)


def test_a_slot_is_stored_in_utc_and_raises_the_talks_version(event):
    room = RoomFactory(event=event)
    talk = TalkFactory(event=event)
    before = talk.version
    saved = schedule(talk, start=at(14, 9), end=at(14, 9, 45), room=room.pk)
    stored = Talk.objects.get(pk=talk.pk)
    assert stored.starts_at == datetime(2026, 5, 14, 7, 0, tzinfo=ZoneInfo("UTC"))
    assert stored.room_id == room.pk and saved.version == before + 1


def test_talks_may_follow_each_other_in_a_room(event):
    room = RoomFactory(event=event)
    schedule(TalkFactory(event=event), start=at(14, 9), end=at(14, 10), room=room.pk)
    schedule(TalkFactory(event=event), start=at(14, 10), end=at(14, 11), room=room.pk)
    assert Talk.objects.filter(room=room).count() == 2


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (at(14, 10), at(14, 9), "invalid"),
        (at(13, 23, 30), at(14, 0, 30), "outside_event"),  # starts the day before
        (at(15, 23, 30), at(16, 0, 30), "outside_event"),  # ends the day after
        (datetime(2026, 5, 14, 9), datetime(2026, 5, 14, 10), "invalid"),  # no offset
    ],
)
def test_a_slot_outside_the_event_or_backwards_is_refused(event, start, end, code):
    talk = TalkFactory(event=event)
    with pytest.raises(ApplicationError) as refused:
        schedule(talk, start=start, end=end)
    assert code in codes(refused)
    assert Talk.objects.get(pk=talk.pk).starts_at is None


def test_the_last_day_ends_at_midnight_in_the_events_time_zone(event):
    talk = TalkFactory(event=event)
    schedule(talk, start=at(15, 23), end=at(16, 0))  # 22:00 UTC: still the 15th in Berlin
    assert Talk.objects.get(pk=talk.pk).ends_at == at(16, 0)


def test_an_event_without_dates_cannot_be_scheduled():
    talk = TalkFactory(event=EventFactory(starts_on=None, ends_on=None))
    with pytest.raises(ApplicationError) as refused:
        schedule(talk, start=at(14, 9), end=at(14, 10))
    assert codes(refused) == ["outside_event"]


def test_two_talks_in_one_room_at_once_are_a_room_overlap_and_nothing_is_written(event):
    room = RoomFactory(event=event, name="Hall A")
    schedule(TalkFactory(event=event, title="First"), start=at(14, 9), end=at(14, 10), room=room.pk)
    second = TalkFactory(event=event)
    version = second.version
    with pytest.raises(ApplicationError) as refused:
        schedule(second, start=at(14, 9, 30), end=at(14, 10, 30), room=room.pk)
    assert codes(refused) == ["room_overlap"]
    assert "Hall A" in str(refused.value) and "First" in str(refused.value)
    stored = Talk.objects.get(pk=second.pk)
    assert (stored.starts_at, stored.room_id, stored.version) == (None, None, version)


def test_a_speaker_in_two_places_at_once_is_a_speaker_overlap(event):
    ada = SpeakerFactory(name="Ada")
    rooms = RoomFactory(event=event), RoomFactory(event=event)
    schedule(
        TalkFactory(event=event, speakers=[ada]), start=at(14, 9), end=at(14, 10), room=rooms[0].pk
    )
    other = TalkFactory(event=event, speakers=[SpeakerFactory(), ada])
    with pytest.raises(ApplicationError) as refused:
        schedule(other, start=at(14, 9, 45), end=at(14, 10, 15), room=rooms[1].pk)
    assert codes(refused) == ["speaker_overlap"]
    assert "Ada" in str(refused.value)


def test_billing_a_busy_speaker_on_a_scheduled_talk_is_a_speaker_overlap(event):
    ada = SpeakerFactory()
    schedule(TalkFactory(event=event, speakers=[ada]), start=at(14, 9), end=at(14, 10))
    other = TalkFactory(event=event)
    schedule(other, start=at(14, 9, 30), end=at(14, 10, 30))
    with pytest.raises(ApplicationError) as refused:
        services.talk_update(other, speakers=[ada.pk])
    assert codes(refused) == ["speaker_overlap"]
    assert not other.talk_speakers.exists()


def test_a_room_or_track_of_another_event_is_refused(event):
    elsewhere = EventFactory()
    talk = TalkFactory(event=event)
    with pytest.raises(ApplicationError) as refused:
        schedule(
            talk,
            start=at(14, 9),
            end=at(14, 10),
            room=RoomFactory(event=elsewhere).pk,
            track=TrackFactory(event=elsewhere).pk,
        )
    assert sorted(codes(refused)) == ["other_event", "other_event"]


def test_unscheduling_keeps_the_track(event):
    track = TrackFactory(event=event)
    talk = TalkFactory(event=event)
    schedule(
        talk, start=at(14, 9), end=at(14, 10), room=RoomFactory(event=event).pk, track=track.pk
    )
    services.talk_update(Talk.objects.get(pk=talk.pk), start=None, end=None, room=None)
    stored = Talk.objects.get(pk=talk.pk)
    assert (stored.starts_at, stored.ends_at, stored.room_id, stored.track_id) == (
        None,
        None,
        None,
        track.pk,
    )


def test_an_event_keeps_the_days_and_time_zone_its_talks_are_scheduled_in(event):
    schedule(TalkFactory(event=event, title="Opening"), start=at(15, 9), end=at(15, 10))
    with pytest.raises(ApplicationError) as refused:
        services.event_update(event, ends_on=date(2026, 5, 14))
    assert codes(refused) == ["outside_event"] and "Opening" in str(refused.value)
    schedule(TalkFactory(event=event), start=at(14, 8), end=at(14, 9))
    with pytest.raises(ApplicationError):  # 08:00 in Berlin is 23:00 the day before there
        services.event_update(event, timezone="America/Los_Angeles")
    services.event_update(event, timezone="Europe/Paris")  # the same hours
    with pytest.raises(ApplicationError) as refused:
        services.event_update(event, timezone="Mars/Olympus_Mons")
    assert codes(refused) == ["invalid_time_zone"]


def test_room_slugs_are_unique_within_their_event_and_derived_from_the_name(event):
    first = event_parts.ROOMS.create(event=event.pk, name="Hall A")
    second = event_parts.ROOMS.create(event=event.pk, name="Hall A")
    elsewhere = event_parts.ROOMS.create(event=EventFactory().pk, name="Hall A")
    assert (first.slug, second.slug, elsewhere.slug) == ("hall-a", "hall-a-2", "hall-a")
    with pytest.raises(ApplicationError) as refused:
        event_parts.ROOMS.create(event=event.pk, name="Other", slug="hall-a")
    assert codes(refused) == ["unique"]


def test_a_room_with_talks_is_not_deleted_and_a_bad_colour_is_refused(event):
    room = RoomFactory(event=event)
    schedule(TalkFactory(event=event), start=at(14, 9), end=at(14, 10), room=room.pk)
    with pytest.raises(ApplicationError) as refused:
        event_parts.ROOMS.delete(room)
    assert codes(refused) == ["protected"]
    with pytest.raises(ApplicationError) as refused:
        event_parts.TRACKS.create(event=event.pk, name="Web", color="blue")
    assert codes(refused) == ["invalid"]


def test_rooms_and_tracks_move_the_catalogue_version_and_have_their_own(event):
    before = catalogue_version()
    room = event_parts.ROOMS.create(event=event.pk, name="Hall A", capacity=200)
    assert catalogue_version() > before and room.version == 1
    renamed = event_parts.ROOMS.update(room, name="Hall B", if_version=1)
    assert renamed.version == 2
    with pytest.raises(services.Conflict):
        event_parts.ROOMS.update(renamed, name="Hall C", if_version=1)


def test_a_dst_change_day_has_its_own_length():
    event = EventFactory(
        starts_on=date(2026, 10, 24), ends_on=date(2026, 10, 25), timezone="Europe/Berlin"
    )
    talk = TalkFactory(event=event)
    late = datetime(2026, 10, 25, 23, 30, tzinfo=BERLIN)  # 25 hours after the day began
    schedule(talk, start=late, end=late + timedelta(minutes=30))
    assert Talk.objects.get(pk=talk.pk).ends_at == datetime(2026, 10, 26, tzinfo=BERLIN)
