"""The batched reads answer for many parents at once and match the one-at-a-time answer."""

import datetime

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from talks import selectors
from talks.models import Talk
from talks.selectors import Counted, RowRange, TalkFilters, counted
from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory


@pytest.fixture
def world(db):
    ada, bob, cy = (SpeakerFactory(name=n) for n in ("Ada", "Bob", "Cy"))
    django, web = TopicFactory(name="Django"), TopicFactory(name="Web")
    old, new = (EventFactory(starts_on=datetime.date(y, 1, 1)) for y in (2011, 2019))
    t1 = TalkFactory(event=old, speakers=[bob, ada], topics=[web, django], kind="keynote")
    t2 = TalkFactory(event=new, speakers=[ada], topics=[django])
    t3 = TalkFactory(event=new, speakers=[ada, cy], recorded_on=None)
    return locals()


def test_speakers_of_talks_are_in_billing_order(world):
    result = selectors.speakers_of_talks([world["t1"].id, world["t3"].id])
    assert [s.name for s in result[world["t1"].id]] == ["Bob", "Ada"]
    assert [s.name for s in result[world["t3"].id]] == ["Ada", "Cy"]


def test_topics_of_talks_by_name_and_absent_when_none(world):
    result = selectors.topics_of_talks([world["t1"].id, world["t3"].id])
    assert [t.name for t in result[world["t1"].id]] == ["Django", "Web"]
    assert world["t3"].id not in result


def test_events_of_speakers_are_distinct_and_newest_first(world):
    result = selectors.events_of_speakers([world["ada"].id, world["bob"].id])
    assert result[world["ada"].id] == [world["new"], world["old"]]
    assert result[world["bob"].id] == [world["old"]]


def test_speakers_of_events_are_distinct_by_name(world):
    result = selectors.speakers_of_events([world["new"].id])
    assert [s.name for s in result[world["new"].id]] == ["Ada", "Cy"]


@pytest.mark.parametrize("parent", ["speaker", "topic", "event"])
def test_talk_counts_match_counting_one_by_one(world, parent):
    objects = {
        "speaker": ["ada", "bob", "cy"],
        "topic": ["django", "web"],
        "event": ["old", "new"],
    }[parent]
    ids = [world[name].id for name in objects]
    counts = selectors.talk_counts(parent, ids)
    for name in objects:
        assert counts.get(world[name].id, 0) == world[name].talks.count()
    # Only t1 is a keynote: it counts once for each of its speakers, topics or its event.
    filtered = selectors.talk_counts(parent, ids, TalkFilters(kind="keynote"))
    t1 = world["t1"]
    keynote_parents = {
        "speaker": [s.id for s in t1.speakers.all()],
        "topic": [t.id for t in t1.topics.all()],
        "event": [t1.event_id],
    }[parent]
    assert filtered == {pk: 1 for pk in keynote_parents}


def test_talk_pages_cut_each_parent_and_number_rows(world):
    ada, cy = world["ada"], world["cy"]
    pages = selectors.talk_pages(
        "speaker",
        [ada.id, cy.id],
        filters=None,
        order="recorded_on_desc",
        rows=RowRange(start=0, stop=2),
    )
    # One row past the page is fetched to tell whether a next page exists.
    assert [t.row_number for t in pages[ada.id]] == [1, 2, 3]
    assert pages[ada.id][-1] == world["t3"]  # undated talks sort last
    assert pages[cy.id] == [world["t3"]]


def test_talk_pages_last_rows(world):
    ada = world["ada"]
    pages = selectors.talk_pages(
        "speaker",
        [ada.id],
        filters=None,
        order="recorded_on_desc",
        rows=RowRange(start=0, stop=None, last=2),
        event_columns=("name",),
    )
    assert pages[ada.id] == [world["t1"], world["t3"]]
    assert [t.rows_after for t in pages[ada.id]] == [2, 1]
    # Each talk holds its event, with the columns asked for and its id; the rest stay
    # deferred, and talks of one event share one instance.
    first, last = pages[ada.id]
    assert first.event.name == world["t1"].event.name
    assert first.event.get_deferred_fields() >= {"city", "description"}
    if first.event_id == last.event_id:
        assert first.event is last.event


def test_instances_hold_the_columns_asked_for_annotations_and_shared_events(
    world, django_assert_num_queries
):
    queryset = selectors.talk_list(filters=TalkFilters(speaker=world["ada"].slug)).annotate(
        score=F("id") * 2
    )
    expected = list(queryset.select_related("event"))
    assert len(expected) == 3
    with django_assert_num_queries(1):
        talks = selectors.instances(queryset, ["id", "title", "event"], event_columns=("name",))
        assert talks == expected
        assert [t.score for t in talks] == [t.id * 2 for t in expected]
        assert [t.event.name for t in talks] == [t.event.name for t in expected]
    assert talks[0].get_deferred_fields() >= {"abstract", "recorded_on"}
    assert talks[0].event.get_deferred_fields() >= {"city", "description"}
    by_event = {}
    for talk in talks:
        assert by_event.setdefault(talk.event_id, talk.event) is talk.event


def test_talk_list_filters_combine(world):
    found = selectors.talk_list(
        filters=TalkFilters(speaker=world["ada"].slug, topic=world["django"].slug)
    )
    assert set(found) == {world["t1"], world["t2"]}


def test_batched_reads_send_ids_as_one_parameter(world, django_assert_num_queries):
    ids = [world["t1"].id, world["t2"].id, -1]
    with CaptureQueriesContext(connection) as captured:
        by_any = set(Talk.objects.filter(id__any=ids).values_list("id", flat=True))
    assert by_any == set(Talk.objects.filter(id__in=ids).values_list("id", flat=True))
    assert by_any == {world["t1"].id, world["t2"].id}
    if connection.vendor == "postgresql":
        # One array for the whole list, however long: `= ANY(%s)`, not `IN (%s, %s, %s)`.
        assert "= ANY(" in captured[0]["sql"]
    with django_assert_num_queries(0):
        assert selectors.topics_of_talks([]) == {}
        assert list(Talk.objects.filter(slug__any=[])) == []


def test_counted_reads_the_kept_count_of_a_whole_table(db):
    TalkFactory.create_batch(3)
    with CaptureQueriesContext(connection) as statements:
        assert counted(Talk.objects.all()) == Counted(3, exact=True)
    assert "talks_rowcount" in statements.captured_queries[0]["sql"]


def test_counted_is_exact_up_to_its_cap_and_an_estimate_flagged_above(db, monkeypatch):
    TalkFactory.create_batch(4, kind="talk")
    TalkFactory.create_batch(7, kind="keynote")
    keynotes = Talk.objects.filter(kind="keynote")
    assert counted(keynotes) == Counted(7, exact=True)
    monkeypatch.setattr(selectors.counts, "COUNT_EXACT_UP_TO", 5)
    assert counted(Talk.objects.filter(kind="talk")) == Counted(4, exact=True)
    above = counted(keynotes)
    assert above.exact is False
    assert above.rows >= 6  # never fewer than were seen: more than the cap
