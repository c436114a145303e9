"""`load_demo` builds the demo catalogue from the seeds and is idempotent."""

import io

import pytest
from django.core.management import call_command

from talks.models import Event, Speaker, Talk, Topic


def load() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_catalogue_has_the_seed_events_and_enough_talks():
    output = load()
    assert "talks: 52 created" in output
    assert Talk.objects.count() >= 40
    assert set(Event.objects.values_list("name", flat=True)) >= {
        "DjangoCon Europe 2019",
        "EuroPython 2012",
        "DjangoCon US 2011",
        "DjangoCon US 2019",
        "Python Bytes",
    }
    assert Event.objects.get(slug="djangocon-europe-2019").city == "Copenhagen"
    assert Event.objects.get(slug="djangocon-us-2011").city == "Portland"
    assert set(Talk.objects.values_list("kind", flat=True)) >= {
        "talk",
        "keynote",
        "lightning",
        "episode",
    }
    # Real records: talks with several speakers, with none, and without dates.
    assert Talk.objects.filter(talk_speakers__position=1).exists()
    assert Talk.objects.filter(speakers__isnull=True).exists()
    assert Talk.objects.filter(recorded_on__isnull=True).exists()


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    load()
    before = {m: list(m.objects.order_by("pk").values()) for m in (Event, Speaker, Topic, Talk)}
    output = load()
    assert (
        "0 created, 0 updated" in output and "talks: 0 created, 0 updated, 52 unchanged" in output
    )
    after = {m: list(m.objects.order_by("pk").values()) for m in (Event, Speaker, Topic, Talk)}
    assert before == after


@pytest.mark.django_db
def test_loading_restores_edited_records():
    load()
    talk = Talk.objects.get(slug="cache-rules-everything-around-me")
    talk.title = "Edited"
    talk.save()
    talk.talk_speakers.filter(position=0).delete()
    output = load()
    assert "talks: 0 created, 1 updated, 51 unchanged" in output
    talk.refresh_from_db()
    assert talk.title == "Cache Rules Everything Around Me"
    assert list(
        talk.talk_speakers.order_by("position").values_list("speaker__slug", flat=True)
    ) == ["jacob-burch", "noah-silas"]
