import os
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from talks import services
from tests.factories import EventFactory, RoomFactory, SpeakerFactory, TalkFactory, TrackFactory

BERLIN = ZoneInfo("Europe/Berlin")
# The C3VOC's validators, beside the checkout (not copied into it: their licence is the
# EUPL); CI fails when they are missing, a developer's run skips.
FRAB_VALIDATORS = Path(__file__).resolve().parents[2].parent / "shared" / "frab"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def frab_validators() -> Path:
    if not (FRAB_VALIDATORS / "schedule.xml.xsd").exists():
        message = f"the Frab validators are not at {FRAB_VALIDATORS}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return FRAB_VALIDATORS


@pytest.fixture
def programme(db):
    """A two-day conference in Berlin: two rooms, two tracks, five scheduled talks (one
    without a room) and one unscheduled."""
    event = EventFactory(
        slug=f"pycon-{uuid.uuid4().hex[:8]}",
        name="PyCon Test",
        starts_on=date(2026, 5, 14),
        ends_on=date(2026, 5, 15),
        timezone="Europe/Berlin",
        url="https://pycon.example/",
    )
    hall, lab = (
        RoomFactory(event=event, name="Hall", position=0),
        RoomFactory(event=event, name="Lab", position=1),
    )
    web, data = (
        TrackFactory(event=event, name="Web", slug="web", color="#1f77b4"),
        TrackFactory(event=event, name="Data", slug="data"),
    )
    ada = SpeakerFactory(name="Ada Lovelace", slug=f"ada-{uuid.uuid4().hex[:8]}")
    slots = [
        ("Opening", local(14, 9), local(14, 9, 30), hall, None, [ada]),
        ("Async all the way", local(14, 10), local(14, 10, 45), hall, web, [SpeakerFactory()]),
        ("Pandas tricks", local(14, 10), local(14, 11), lab, data, [ada]),
        ("Lightning talks", local(15, 17), local(15, 18), None, None, []),
        ("Closing", local(15, 18), local(15, 18, 30), hall, None, [ada, SpeakerFactory()]),
    ]
    talks = []
    for title, start, end, room, track, speakers in slots:
        talk = TalkFactory(event=event, title=title, speakers=speakers, abstract=f"About {title}")
        services.talk_update(
            talk,
            start=start,
            end=end,
            room=room.pk if room else None,
            track=track.pk if track else None,
        )
        talks.append(talk)
    TalkFactory(event=event, title="Not scheduled")
    return {"event": event, "talks": talks, "ada": ada, "rooms": (hall, lab)}
