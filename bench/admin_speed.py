#!/usr/bin/env python3
"""The Django admin on a large catalogue: change lists, their search box and filters as a
logged-in staff user sees them (Django's test client, the whole request stack, the
database of DATABASE_URL).

    DATABASE_URL=postgres://... .venv/bin/python bench/admin_speed.py [--runs 5]

Prints per page: HTTP status, SQL statements, p50 and slowest ms of --runs requests, and
the result count the page shows. The database must hold a catalogue.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def pages(event_id: int, talk_id: int, speaker_id: int) -> list[tuple[str, str, dict]]:
    return [
        ("talk list", "/admin/talks/talk/", {}),
        ("talk search 'python'", "/admin/talks/talk/", {"q": "python"}),
        ("talk search 'django orm'", "/admin/talks/talk/", {"q": "django orm"}),
        ("talks, kind keynote", "/admin/talks/talk/", {"kind__exact": "keynote"}),
        ("talks, language de", "/admin/talks/talk/", {"language__exact": "de"}),
        ("talks of one event", "/admin/talks/talk/", {"event": str(event_id)}),
        ("talks, page 50", "/admin/talks/talk/", {"p": "50"}),
        ("speaker list", "/admin/talks/speaker/", {}),
        ("speaker search 'chen'", "/admin/talks/speaker/", {"q": "chen"}),
        ("event list", "/admin/talks/event/", {}),
        ("events, kind conference", "/admin/talks/event/", {"kind__exact": "conference"}),
        ("event search 'pycon'", "/admin/talks/event/", {"q": "pycon"}),
        ("topic list", "/admin/talks/topic/", {}),
        ("room list", "/admin/talks/room/", {}),
        ("room search 'hall'", "/admin/talks/room/", {"q": "hall"}),
        ("track list", "/admin/talks/track/", {}),
        ("rooms of one event", "/admin/talks/room/", {"event": str(event_id)}),
        ("a talk's change form", f"/admin/talks/talk/{talk_id}/change/", {}),
        ("a talk's history", f"/admin/talks/talk/{talk_id}/history/", {}),
        ("an event's change form", f"/admin/talks/event/{event_id}/change/", {}),
        ("a speaker's change form", f"/admin/talks/speaker/{speaker_id}/change/", {}),
        ("add a talk", "/admin/talks/talk/add/", {}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from talks.models import Event, Talk, TalkSpeaker

    user, _ = User.objects.get_or_create(
        username="admin-bench", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    event = Event.objects.order_by("-starts_on").values_list("pk", flat=True).first()
    # A scheduled talk (its form shows a room and a track) and its first speaker.
    talk = (
        Talk.objects.filter(starts_at__isnull=False)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    ) or Talk.objects.values_list("pk", flat=True).first()
    speaker = TalkSpeaker.objects.filter(talk_id=talk).values_list("speaker_id", flat=True)[0]
    print(f"{Talk.objects.count():,} talks; p50 and slowest of {args.runs} requests each")
    print(f"{'page':38} {'status':>6} {'SQL':>4} {'p50 ms':>8} {'max ms':>8}  shown")
    for label, path, params in pages(event, talk, speaker):
        client.get(path, params)  # warm: the planner, the caches
        timings = []
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as statements:
                started = time.perf_counter()
                response = client.get(path, params)
                timings.append((time.perf_counter() - started) * 1000)
        print(
            f"{label:38} {response.status_code:6} {len(statements.captured_queries):4}"
            f" {statistics.median(timings):8.1f} {max(timings):8.1f}  {shown(response)}"
        )


def shown(response) -> str:
    """What the change list's paginator says it holds ("1,000,000 talks")."""
    paginator = re.search(r'class="paginator">(.*?)</p>', response.content.decode(), re.S)
    text = re.sub(r"<[^>]+>|\s+", " ", paginator.group(1)) if paginator else ""
    kinds = "talks?|speakers?|events?|topics?|rooms?|tracks?|results?"
    found = re.search(rf"(\d[\d,]*) ({kinds})", text)
    return found.group(0) if found else ""


if __name__ == "__main__":
    main()
