"""The search vocabulary: its words and counts stay exact whoever writes, and the typo
rule's edit distance counts what people mistype."""

import io
from collections import Counter

import pytest
from django.core.management import call_command

from talks import services, vocabulary
from talks.models import Event, SearchWord, Speaker, Talk, Topic
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def stored() -> dict[str, int]:
    return dict(SearchWord.objects.values_list("word", "talks"))


def recounted() -> dict[str, int]:
    """The vocabulary computed from scratch from every talk's text."""
    counts: Counter[str] = Counter()
    ids = list(Talk.objects.values_list("id", flat=True))
    for pieces in vocabulary._texts(ids).values():
        counts.update(set().union(*map(vocabulary.words_of, pieces)))
    return dict(counts)


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def test_the_demo_catalogue_has_its_vocabulary(demo):
    words = stored()
    assert words == recounted()
    assert words["django"] > 10 and "coroutine" in words
    assert all(len(word) >= 4 and word.isalpha() and word == word.lower() for word in words)


def test_every_kind_of_write_keeps_the_counts_exact(demo, tmp_path):
    before = stored()
    talk = services.talk_create(title="Zeppelinology for Pythonistas", event=EventFactory().pk)
    assert stored()["zeppelinology"] == 1
    assert stored()["pythonistas"] == before.get("pythonistas", 0) + 1

    services.talk_update(talk=talk, title="Airships for Pythonistas", abstract="Quokkas!")
    assert "zeppelinology" not in stored()
    assert stored()["airships"] == 1 and stored()["quokkas"] == 1

    # Names reach the vocabulary of every talk that carries them.
    speaker = Speaker.objects.filter(talk_count__gt=1).first()
    services.speaker_update(speaker, name="Wilhelmina Quaxley")
    assert stored()["quaxley"] == speaker.talks.count() > 1
    topic = Topic.objects.filter(talk_count__gt=0).first()
    services.topic_update(topic, name="Formidable")
    event = Event.objects.filter(talks__isnull=False).first()
    services.event_update(event, name="Bytes of Python Podcast")
    assert stored() == recounted()

    services.talk_delete(talk)
    assert "airships" not in stored() and "quokkas" not in stored()

    catalogue = tmp_path / "one.jsonl"
    catalogue.write_text(
        '{"type": "talk", "slug": "kivy", "title": "Kivy and the marmot", "event": "europython-2012"}\n'
    )
    call_command("import_catalogue", str(catalogue), "--quiet", stdout=io.StringIO())
    assert stored()["marmot"] == 1
    assert stored() == recounted()


def test_refreshing_everything_again_changes_nothing(demo):
    before = stored()
    vocabulary.refresh_words(None)
    assert stored() == before


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("foundational", "foudnational", 1),  # swapped neighbours: one edit
        ("postgresql", "postgrseql", 1),
        ("exploring", "explroign", 2),
        ("maintainable", "maintainble", 1),  # dropped
        ("slackbot", "slacckbot", 1),  # doubled
        ("tenant", "tenent", 1),  # wrong vowel
        ("python", "python", 0),
        ("ca", "abc", 3),  # optimal string alignment: no edit of an already swapped pair
    ],
)
def test_edit_distance(a, b, distance):
    assert vocabulary.edit_distance(a, b) == distance
    assert vocabulary.edit_distance(b, a) == distance


def test_levenshtein_bound_keeps_every_candidate():
    # The SQL prefilter (Levenshtein <= 2 x edits) must never drop a word the rule allows.
    assert vocabulary.levenshtein_less_equal("foudnational", "foundational", 2) == 2
    assert vocabulary.levenshtein_less_equal("python", "pandas", 2) > 2


@pytest.mark.parametrize(
    ("word", "edits"),
    [("asyn", 0), ("async", 1), ("exploring"[:8], 1), ("exploring", 2), ("python3", 0)],
)
def test_longer_words_may_hold_more_typos(word, edits):
    assert vocabulary.allowed_edits(word) == edits


def test_words_are_folded():
    assert vocabulary.words_of("Jolies Métriques: Ærø, ÉCOLE d'été 2024 abc") == {
        "jolies",
        "metriques",
        "ecole",
    }
