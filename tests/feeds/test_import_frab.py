"""import_frab reads what organisers publish, quirks and all, and our own schedule.xml
back into an event with the same slots."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.test import Client

from talks.frab_import import import_frab
from talks.models import Event, Room, Talk, Track
from tests.commands.test_import_export import run

pytestmark = pytest.mark.django_db
QUIRKS = Path(__file__).resolve().parents[1] / "data" / "frab" / "pretalx-quirks.xml"


def test_a_pretalx_export_with_its_quirks_imports(tmp_path):
    out, err, code = run("import_frab", str(QUIRKS))
    assert code == 0, err
    event = Event.objects.get(slug="democon2026")
    assert (event.name, event.timezone) == ("DemoCon 2026", "Europe/Berlin")
    assert sorted(Room.objects.filter(event=event).values_list("name", flat=True)) == [
        "Saal 1",
        "Workshop Room",
    ]
    assert sorted(Track.objects.filter(event=event).values_list("name", flat=True)) == [
        "Community",
        "Security",
    ]
    opening = Talk.objects.get(slug="democon2026-101-opening")
    assert opening.starts_at == datetime(2026, 6, 10, 8, tzinfo=UTC)
    assert (opening.ends_at - opening.starts_at).seconds == 30 * 60
    securing = Talk.objects.get(title="Securing the pipeline")
    assert [s.name for s in securing.speakers.order_by("talk_speakers__position")] == [
        "Linus Example",
        "Grace Hopper",
    ]
    assert securing.track.name == "Security" and securing.language == "de"
    assert "With a live demo." in securing.abstract
    # no <date>: the day's date and <start> in the conference's time zone
    lightning = Talk.objects.get(title="Lightning talks")
    assert lightning.starts_at == datetime(2026, 6, 11, 15, 30, tzinfo=UTC)
    assert lightning.kind == "lightning"
    # one speaker, one person: Grace is one speaker of both her talks
    assert opening.speakers.get().pk == securing.speakers.get(name="Grace Hopper").pk
    # a clash is imported without its slot and said; an event without a title is skipped
    assert Talk.objects.get(title="Double booked").starts_at is None
    assert "without its slot" in err and "room_overlap" in err and "skipped" in err
    assert "4 talks created" in out
    again, _, _ = run("import_frab", str(QUIRKS))
    assert "0 talks created, 4 updated" in again


def test_a_schedule_is_read_from_a_url():
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = partial(SimpleHTTPRequestHandler, directory=str(QUIRKS.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{QUIRKS.name}"
        report = import_frab(url)
    finally:
        server.shutdown()
    assert report.event == "democon2026" and report.created == 4


def test_strict_writes_nothing_when_anything_is_wrong():
    with pytest.raises(CommandError):
        run("import_frab", "--strict", str(QUIRKS))
    assert not Event.objects.filter(slug="democon2026").exists()


def test_not_a_schedule_is_a_clear_error(tmp_path):
    page = tmp_path / "page.xml"
    page.write_text("<html><body>Not here</body></html>")
    with pytest.raises(CommandError, match="root element is <html>"):
        run("import_frab", str(page))
    with pytest.raises(CommandError, match="file or an http"):
        run("import_frab", "ftp://example.org/schedule.xml")


def test_our_schedule_xml_imports_into_another_event_with_the_same_slots(programme, tmp_path):
    exported = tmp_path / "schedule.xml"
    exported.write_bytes(Client().get(f"/events/{programme['event'].slug}/schedule.xml").content)
    report = import_frab(str(exported), event_slug="copy")
    assert report.created == 5 and not report.unscheduled and not report.skipped
    original = {
        t.title: (t.starts_at, t.ends_at, t.room.name if t.room else None)
        for t in Talk.objects.filter(event=programme["event"], starts_at__isnull=False)
    }
    copied = {
        t.title: (t.starts_at, t.ends_at, t.room.name if t.room else None)
        for t in Talk.objects.filter(event__slug="copy")
    }
    assert copied.keys() == original.keys()
    for title, (start, end, room) in original.items():
        assert copied[title][:2] == (start, end)
        assert copied[title][2] == (room or "TBA")
