"""The .ics feeds, parsed back by the icalendar library as a calendar app would: every
scheduled talk, in the event's time zone, with a UID that stays and a SEQUENCE that grows
when the slot moves."""

from datetime import timedelta

import icalendar
import pytest
from django.test import Client

from talks import services
from tests.feeds.conftest import BERLIN, local

pytestmark = pytest.mark.django_db


def calendar_of(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events_of(cal: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(item["summary"]): item for item in cal.walk("VEVENT")}


def test_an_events_calendar_has_every_scheduled_talk_in_its_time_zone(programme):
    event = programme["event"]
    cal = calendar_of(Client().get(f"/events/{event.slug}/schedule.ics"))
    found = events_of(cal)
    assert set(found) == {
        "Opening",
        "Async all the way",
        "Pandas tricks",
        "Lightning talks",
        "Closing",
    }
    opening = found["Opening"]
    assert opening["dtstart"].params["TZID"] == "Europe/Berlin"
    assert opening.decoded("dtstart") == local(14, 9)
    assert opening.decoded("dtstart").tzinfo.key == "Europe/Berlin"
    assert opening.decoded("dtend") == local(14, 9, 30)
    assert str(opening["location"]) == "Hall"
    assert "Ada Lovelace" in str(opening["description"])
    assert "LOCATION" not in found["Lightning talks"]
    assert [str(c) for c in found["Async all the way"]["categories"].cats] == ["Web"]
    zones = [str(zone["tzid"]) for zone in cal.walk("VTIMEZONE")]
    assert zones == ["Europe/Berlin"]
    assert all(str(item["url"]).startswith("http") for item in found.values())


def test_a_second_parser_reads_the_same_times_and_zone(programme):
    # vobject, the parser of the Radicale CalDAV server, independent of the writer.
    import vobject

    event = programme["event"]
    response = Client().get(f"/events/{event.slug}/schedule.ics")
    calendar = vobject.readOne(response.content.decode())
    starts = {item.summary.value: item.dtstart.value for item in calendar.vevent_list}
    assert starts["Opening"] == local(14, 9) and starts["Closing"] == local(15, 18)
    assert starts["Opening"].utcoffset().total_seconds() == 2 * 3600
    assert calendar.vtimezone.tzid.value == "Europe/Berlin"


def test_a_moved_talk_keeps_its_uid_and_raises_its_sequence(programme):
    event, opening = programme["event"], programme["talks"][0]
    before = events_of(calendar_of(Client().get(f"/events/{event.slug}/schedule.ics")))["Opening"]
    services.talk_update(opening, start=local(14, 8), end=local(14, 8, 30))
    after = events_of(calendar_of(Client().get(f"/events/{event.slug}/schedule.ics")))["Opening"]
    assert str(after["uid"]) == str(before["uid"])
    assert int(after["sequence"]) > int(before["sequence"])
    assert after.decoded("dtstart") == before.decoded("dtstart") - timedelta(hours=1)


def test_a_speakers_calendar_has_their_talks_at_every_event(programme):
    ada = programme["ada"]
    cal = calendar_of(Client().get(f"/speakers/{ada.slug}/talks.ics"))
    assert sorted(events_of(cal)) == ["Closing", "Opening", "Pandas tricks"]
    assert events_of(cal)["Closing"].decoded("dtstart").astimezone(BERLIN) == local(15, 18)


def test_feeds_are_public_with_an_etag_and_a_304(programme):
    client, url = Client(), f"/events/{programme['event'].slug}/schedule.ics"
    first = client.get(url)
    assert first["Cache-Control"].startswith("public, max-age=")
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    services.talk_update(programme["talks"][1], title="Async, renamed")
    changed = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and "Async, renamed" in events_of(calendar_of(changed))


def test_a_webcal_subscription_is_the_same_feed(programme, live_server_url=None):
    # A calendar app given webcal://host/events/<slug>/schedule.ics fetches it over HTTP.
    response = Client().get(f"/events/{programme['event'].slug}/schedule.ics")
    assert response["Content-Disposition"] == 'inline; filename="schedule.ics"'


def test_an_unknown_event_or_speaker_is_a_404():
    assert Client().get("/events/no-such-event/schedule.ics").status_code == 404
    assert Client().get("/speakers/no-such-speaker/talks.ics").status_code == 404
    assert Client().get("/events/x/schedule.pdf").status_code == 404
    assert Client().post("/events/x/schedule.ics").status_code == 405
