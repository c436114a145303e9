"""Batched reads compiled once (`talks.selectors.prepared`): each call gives the rows its
queryset gives for its own keys, and only the first call of a read builds the queryset
(on PostgreSQL; SQLite builds it every time)."""

import datetime

import pytest
from django.db import connection

from talks import selectors, services
from talks.models import Talk
from talks.selectors.prepared import rows_by_keys
from tests.factories import EventFactory, SpeakerFactory, TalkFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def talks():
    event = EventFactory()
    return [
        TalkFactory(
            event=event,
            recorded_on=datetime.date(2020, 1, n),
            duration_minutes=n,
            speakers=[SpeakerFactory() for _ in range(n % 3)],
        )
        for n in range(1, 6)
    ]


def test_each_call_reads_its_own_keys_as_the_queryset_does(talks):
    built = []

    def build(ids):
        built.append(ids)
        return (
            Talk.objects.filter(id__any=ids)
            .order_by("id")
            .values_list("id", "slug", "recorded_on", "created_at", "duration_minutes")
        )

    ids = [talk.id for talk in talks]
    for keys in ([ids[0]], ids[1:4], ids, [ids[4], 10**9]):
        assert rows_by_keys("test: talks by id", Talk, build, keys) == list(build(keys))
    built_by_reads = len(built) - 4  # the comparison built one queryset per call
    assert built_by_reads == (1 if connection.vendor == "postgresql" else 4)


def test_relations_and_lookups_by_key_are_those_of_the_orm(talks):
    ids = [talk.id for talk in talks]
    for keys in (ids[:1], ids):
        speakers = selectors.speakers_of_talks(keys)
        for talk in Talk.objects.filter(id__in=keys):
            expected = [(s.id, s.name) for s in talk.speakers.order_by("talk_speakers__position")]
            assert [(s.id, s.name) for s in speakers.get(talk.id, [])] == expected
        found = selectors.objects_by_key(Talk, "slug", [talks[0].slug, "no-such-talk"])
        assert list(found) == [talks[0].slug]
        talk = found[talks[0].slug]
        assert (talk.title, talk.recorded_on) == (talks[0].title, talks[0].recorded_on)
        assert talk.event.name == talks[0].event.name
        assert talk.event.talks_counted == len(talks)


@pytest.mark.parametrize("parent", ["event", "speaker"])
def test_talk_pages_compiled_once_are_each_parents_own(talks, parent):
    # The speakers' newest pages pass their ids twice (a LATERAL read of each speaker's
    # first links): every place takes the new keys.
    rows = selectors.RowRange(start=0, stop=2)
    if parent == "event":
        parents = [talks[0].event_id, EventFactory().id]
    else:
        parents = sorted({s.id for talk in talks for s in talk.speakers.all()})
    for chosen in (parents[:1], parents[1:], parents):
        pages = selectors.talk_pages(
            parent, chosen, filters=None, order="recorded_on_desc", rows=rows
        )
        for parent_id in chosen:
            link = "event_id" if parent == "event" else "speakers__id"
            expected = list(
                Talk.objects.filter(**{link: parent_id})
                .order_by("-recorded_on", "-id")
                .values_list("id", flat=True)[:3]
            )
            assert [talk.id for talk in pages.get(parent_id, [])] == expected


def list_page(filters, order, start=0, stop=3):
    talks = selectors.page_instances(
        selectors.talk_list, Talk, filters, order, start, stop, ["id", "title"]
    )
    return [talk.title for talk in talks]


def test_a_page_compiled_once_reads_the_rows_there_are_now(talks):
    first = list_page(None, "recorded_on_desc")
    assert first == [talk.title for talk in reversed(talks)][:3]
    newest = TalkFactory(recorded_on=datetime.date(2030, 1, 1), title="Newest")
    assert list_page(None, "recorded_on_desc") == ["Newest", *first[:2]]
    assert list_page(None, "recorded_on_desc", 1, 4) == first
    newest.delete()
    assert list_page(None, "recorded_on_desc") == first


def test_a_search_page_follows_its_words_corrections(talks):
    filters = selectors.TalkFilters
    assert list_page(filters(search="quetzalcotl "), "relevance") == []
    services.talk_create(title="Quetzalcoatl in production", event=talks[0].event_id)
    # The same text now has a correction, and so a statement of its own.
    assert list_page(filters(search="quetzalcotl "), "relevance") == ["Quetzalcoatl in production"]
    assert list_page(filters(search="quetzalcoatl"), "relevance") == ["Quetzalcoatl in production"]
