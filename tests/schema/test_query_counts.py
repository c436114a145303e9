"""The SQL statements a query costs depend on its shape, never on how many rows it returns.

Each client query runs at 5 and at 50 parents; the counts must be equal and within the
budget the issue fixed. The answers are checked too, so a cheap wrong answer fails.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import EventFactory, SpeakerFactory, TalkFactory, TopicFactory

Q1 = """query ($n: Int) { talks(first: $n) { totalCount edges { node {
  title event { name } speakers { name } topics { name } } } } }"""

Q2 = """query ($slug: String, $n: Int) { event(slug: $slug) { talkCount
  talks(first: $n) { edges { node { title speakers { name talkCount } topics { name } } } }
  speakers { name } } }"""

Q3 = """query ($n: Int) { speakers(first: $n) { edges { node { name talkCount
  talks(first: 10) { totalCount edges { node { title event { name }
    topics { name talkCount } } } } } } } }"""


@pytest.fixture
def catalogue(db):
    """60 speakers and 120 talks over 4 events: every speaker has 2-3 talks, some shared."""
    events = EventFactory.create_batch(4)
    topics = TopicFactory.create_batch(6)
    speakers = SpeakerFactory.create_batch(60)
    talks = []
    for i in range(120):
        talk_speakers = [speakers[i % 60], speakers[(i * 7 + 3) % 60]]
        if talk_speakers[0] == talk_speakers[1]:
            talk_speakers.pop()
        talks.append(
            TalkFactory(
                event=events[i % 4],
                speakers=talk_speakers,
                topics=[topics[i % 6], topics[(i + 1) % 6]],
            )
        )
    big_event = EventFactory(slug="big")
    for i in range(60):
        TalkFactory(event=big_event, speakers=[speakers[i]], topics=[topics[i % 6]])
    return {"speakers": speakers, "topics": topics}


def count_queries(gql, query: str, variables: dict) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        data = gql(query, variables)
    return len(captured.captured_queries), data


@pytest.mark.parametrize(
    ("query", "variables", "budget"),
    [
        pytest.param(Q1, {}, 4, id="Q1-talks-with-relations"),
        # The event with its talk count, its page of talks, their speakers and topics,
        # and the event's speakers.
        pytest.param(Q2, {"slug": "big"}, 5, id="Q2-event-with-talks"),
        pytest.param(Q3, {}, 7, id="Q3-speakers-with-nested-talks"),
    ],
)
def test_query_count_is_independent_of_page_size(gql, catalogue, query, variables, budget):
    small, small_data = count_queries(gql, query, {**variables, "n": 5})
    large, large_data = count_queries(gql, query, {**variables, "n": 50})
    assert small == large, f"{small} statements at 5 parents, {large} at 50: an N+1"
    assert large <= budget
    assert small_data != large_data


def test_q1_answers_every_relation(gql, catalogue):
    data = gql(Q1, {"n": 50})["talks"]
    assert data["totalCount"] == 180
    assert len(data["edges"]) == 50
    for edge in data["edges"]:
        node = edge["node"]
        assert node["event"]["name"]
        assert 1 <= len(node["speakers"]) <= 2
        assert 1 <= len(node["topics"]) <= 2


def test_nested_counts_are_real_numbers_not_one(gql, catalogue):
    """Counts on objects inside nested lists must be each object's own total."""
    from talks.models import Speaker, Topic

    data = gql(Q3, {"n": 50})["speakers"]["edges"]
    expected_speaker = {s.name: s.talk_speakers.count() for s in Speaker.objects.all()}
    expected_topic = {t.name: t.talks.count() for t in Topic.objects.all()}
    assert {expected_topic[name] for name in expected_topic} != {1}
    for edge in data:
        speaker = edge["node"]
        assert speaker["talkCount"] == expected_speaker[speaker["name"]]
        assert speaker["talks"]["totalCount"] == speaker["talkCount"]
        assert len(speaker["talks"]["edges"]) == min(10, speaker["talkCount"])
        for talk in speaker["talks"]["edges"]:
            for topic in talk["node"]["topics"]:
                assert topic["talkCount"] == expected_topic[topic["name"]]


def test_nested_pages_are_per_parent_and_ordered(gql, catalogue):
    from talks.models import Talk

    data = gql(Q3, {"n": 50})["speakers"]["edges"]
    for edge in data:
        titles = [t["node"]["title"] for t in edge["node"]["talks"]["edges"]]
        expected = list(
            Talk.objects.filter(speakers__name=edge["node"]["name"])
            .order_by("-recorded_on", "-id")
            .values_list("title", flat=True)[:10]
        )
        assert titles == expected


def test_q2_speaker_counts_inside_event_talks(gql, catalogue):
    data = gql(Q2, {"slug": "big", "n": 50})["event"]
    assert data["talkCount"] == 60
    assert len(data["speakers"]) == 60
    for edge in data["talks"]["edges"]:
        (speaker,) = edge["node"]["speakers"]
        # Each speaker gave 2-3 catalogue talks plus the one at the big event.
        assert speaker["talkCount"] >= 2


EVENT_TOPICS = """query ($n: Int) { events(first: $n) { edges { node { name
  topics { name talkCount } } } } }"""


def test_event_topics_cost_one_statement_for_any_number_of_events(gql, db):
    topics = TopicFactory.create_batch(4)
    for i in range(60):
        event = EventFactory()
        TalkFactory(event=event, topics=[topics[i % 4], topics[(i + 1) % 4]])
        TalkFactory(event=event, topics=[topics[i % 4]])
    small, small_data = count_queries(gql, EVENT_TOPICS, {"n": 5})
    large, large_data = count_queries(gql, EVENT_TOPICS, {"n": 50})
    assert small == large == 2  # the page of events, then all their topics
    events = large_data["events"]["edges"]
    assert len(events) == 50 and small_data != large_data
    assert all(len(e["node"]["topics"]) == 2 for e in events)  # distinct, not one per talk


ONE_TALK = """query ($slug: String!) { talk(slug: $slug) { slug title abstract kind level
  language recordedOn durationMinutes videoUrl slidesUrl
  event { slug name city talkCount } speakers { slug name talkCount }
  topics { slug name talkCount } } }"""


def test_one_talk_with_its_events_talk_count_costs_three_statements(gql, catalogue):
    talk = TalkFactory(event=EventFactory(slug="small"), speakers=catalogue["speakers"][:2])
    TalkFactory.create_batch(2, event=talk.event)
    count, data = count_queries(gql, ONE_TALK, {"slug": talk.slug})
    assert count == 3  # the talk with its event and the event's talk count; speakers; topics
    assert data["talk"]["event"]["talkCount"] == 3
    assert [s["name"] for s in data["talk"]["speakers"]] == [
        s.name for s in catalogue["speakers"][:2]
    ]
    assert data["talk"]["speakers"][0]["talkCount"] == catalogue["speakers"][0].talks.count()


def test_an_event_with_no_talks_counts_zero(gql, db):
    EventFactory(slug="empty")
    count, data = count_queries(gql, '{ event(slug: "empty") { talkCount } }', {})
    assert (count, data["event"]["talkCount"]) == (1, 0)
