"""Every object, field, filter and order of the read API, against the demo catalogue."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

TALK_FIELDS = """id slug title abstract kind level language recordedOn durationMinutes
  videoUrl slidesUrl createdAt updatedAt event { slug } speakers { slug } topics { slug }"""


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo catalogue, loaded once for the module and rolled back after it.

    Each test's own transaction nests inside this one as a savepoint.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def slugs(connection: dict) -> list[str]:
    return [edge["node"]["slug"] for edge in connection["edges"]]


def test_talk_exposes_every_field(gql, demo):
    talk = gql(
        f'{{ talk(slug: "python-bytes-162-retrofitting-async-and-await-into-django") {{ {TALK_FIELDS} }} }}'
    )["talk"]
    assert talk["title"] == "#162 Retrofitting async and await into Django"
    assert talk["kind"] == "EPISODE"
    assert talk["level"] is None
    assert talk["language"] == "en"
    assert talk["recordedOn"] == "2019-12-19"
    assert talk["durationMinutes"] == 23
    assert talk["videoUrl"] == "https://pythonbytes.fm/episodes/show/162"
    assert talk["slidesUrl"] == ""
    assert talk["event"] == {"slug": "python-bytes"}
    assert talk["speakers"] == [{"slug": "brian-okken"}, {"slug": "ali-sivji"}]  # billing order
    topic_slugs = [t["slug"] for t in talk["topics"]]
    assert "django" in topic_slugs and "async" in topic_slugs
    assert talk["createdAt"] <= talk["updatedAt"]


def test_topics_of_a_talk_are_by_name(gql, demo):
    talk = gql('{ talk(slug: "in-search-of-reduced-loading-times") { topics { name } } }')["talk"]
    names = [t["name"] for t in talk["topics"]]
    assert names == sorted(names) and len(names) == 4


def test_event_topics_are_the_distinct_topics_of_its_talks_by_name(gql, demo):
    event = gql('{ event(slug: "djangocon-us-2011") { topics { slug name } } }')["event"]
    assert [t["slug"] for t in event["topics"]] == [
        "caching",
        "community",
        "data",
        "databases",
        "deployment",
        "django",
        "forms",
        "performance",
        "python-language",
    ]
    names = [t["name"] for t in event["topics"]]
    assert names == sorted(names)


def test_event_exposes_every_field(gql, demo):
    event = gql("""{ event(slug: "djangocon-us-2011") { id slug name kind startsOn endsOn city
        country url description talkCount speakers { name } talks { totalCount } } }""")["event"]
    assert event["name"] == "DjangoCon US 2011"
    assert event["kind"] == "CONFERENCE"
    assert (event["startsOn"], event["endsOn"]) == ("2011-09-06", "2011-09-10")
    assert (event["city"], event["country"], event["url"]) == ("Portland", "United States", "")
    assert event["talkCount"] == event["talks"]["totalCount"] == 7
    names = [s["name"] for s in event["speakers"]]
    assert names == sorted(names)
    assert "Jacob Burch" in names and "Noah Silas" in names


def test_event_speakers_are_distinct(gql, demo):
    speakers = gql('{ event(slug: "python-bytes") { speakers { slug } } }')["event"]["speakers"]
    assert speakers == [{"slug": "ali-sivji"}, {"slug": "brian-okken"}]


def test_podcast_without_dates_has_null_dates_and_empty_place(gql, demo):
    event = gql('{ event(slug: "python-bytes") { kind startsOn endsOn city country } }')["event"]
    assert event == {"kind": "PODCAST", "startsOn": None, "endsOn": None, "city": "", "country": ""}


def test_speaker_exposes_every_field_and_events_newest_first(gql, demo):
    speaker = gql("""{ speaker(slug: "andrew-godwin") { name bio affiliation website twitter
        github talkCount events { slug } talks { edges { node { slug } } } } }""")["speaker"]
    assert speaker["talkCount"] == 2
    assert speaker["events"] == [{"slug": "djangocon-us-2019"}, {"slug": "djangocon-us-2011"}]
    # The 2019 talk has no recording date in the sources, so it sorts after the dated one.
    assert slugs(speaker["talks"]) == [
        "deployment-daemons-and-datacenters",
        "just-add-await-retrofitting-async-into-django",
    ]
    assert speaker["twitter"] == speaker["github"] == speaker["website"] == ""


def test_topic_exposes_every_field(gql, demo):
    topic = gql("""{ topic(slug: "async") { name description talkCount
        talks(orderBy: TITLE_ASC) { totalCount edges { node { title } } } } }""")["topic"]
    assert topic["name"] == "Async and concurrency"
    assert topic["talkCount"] == topic["talks"]["totalCount"] == 5
    titles = [e["node"]["title"] for e in topic["talks"]["edges"]]
    assert titles == sorted(titles)


def test_talks_default_order_is_newest_first_with_undated_last(gql, demo):
    data = gql("{ talks(first: 100) { totalCount edges { node { recordedOn } } } }")["talks"]
    dates = [e["node"]["recordedOn"] for e in data["edges"]]
    dated = [d for d in dates if d is not None]
    assert data["totalCount"] == len(dates) >= 40
    assert dates[: len(dated)] == sorted(dated, reverse=True)
    assert all(d is None for d in dates[len(dated) :])


def test_talks_oldest_first_keeps_undated_last(gql, demo):
    data = gql("{ talks(first: 100, orderBy: RECORDED_ON_ASC) { edges { node { recordedOn } } } }")
    dates = [e["node"]["recordedOn"] for e in data["talks"]["edges"]]
    dated = [d for d in dates if d is not None]
    assert dates[0] == "2011-09-08"
    assert dates[: len(dated)] == sorted(dated)


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ('{event: "djangocon-us-2019"}', ["just-add-await-retrofitting-async-into-django"]),
        ('{speaker: "lynn-root"}', ["advanced-asyncio-solving-real-world-production-problems"]),
        ("{kind: EPISODE}", ["python-bytes-162-retrofitting-async-and-await-into-django"]),
        ("{level: BEGINNER}", ["teaching-django-to-comrades"]),
        (
            '{recordedFrom: "2020-06-08", recordedTo: "2020-06-08"}',
            [
                "advanced-asyncio-solving-real-world-production-problems",
                "python-standard-library-the-hidden-gems",
            ],
        ),
        ('{topic: "async", kind: KEYNOTE}', []),
        ('{topic: "caching", event: "djangocon-us-2011"}', ["cache-rules-everything-around-me"]),
        ('{language: "it"}', []),
        ('{event: "no-such-event"}', []),
    ],
)
def test_talk_filters(gql, demo, filter, expected):
    data = gql(
        f"{{ talks(filter: {filter}, first: 100, orderBy: TITLE_ASC) {{ totalCount edges {{ node {{ slug }} }} }} }}"
    )
    assert sorted(slugs(data["talks"])) == sorted(expected)
    assert data["talks"]["totalCount"] == len(expected)


def test_duration_filters_keep_talks_of_that_length_only(gql, demo):
    short = gql("""{ talks(filter: {durationMax: 5}, first: 100) {
        totalCount edges { node { durationMinutes } } } }""")["talks"]
    assert short["totalCount"] == 13
    assert {e["node"]["durationMinutes"] for e in short["edges"]} == {5}
    long = gql("{ talks(filter: {durationMin: 6}) { edges { node { slug } } } }")["talks"]
    assert slugs(long) == ["python-bytes-162-retrofitting-async-and-await-into-django"]
    nested = gql("""{ event(slug: "europython-2012") {
        talks(filter: {durationMin: 5, durationMax: 5}) { totalCount } } }""")["event"]
    assert nested["talks"]["totalCount"] == 13


def test_lightning_talks_filter(gql, demo):
    data = gql('{ talks(filter: {kind: LIGHTNING, event: "europython-2012"}) { totalCount } }')
    assert data["talks"]["totalCount"] == 13


def test_filters_apply_inside_nested_connections(gql, demo):
    event = gql("""{ event(slug: "europython-2012") {
        keynotes: talks(filter: {kind: KEYNOTE}) { totalCount edges { node { title } } }
        all: talks { totalCount } talkCount } }""")["event"]
    assert event["keynotes"]["totalCount"] == 3
    assert event["all"]["totalCount"] == event["talkCount"]


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ('{event: "python-bytes"}', ["ali-sivji", "brian-okken"]),
        ('{topic: "forms"}', ["daniel-greenfeld", "miguel-araujo"]),
        ('{event: "djangocon-us-2019", topic: "async"}', ["andrew-godwin"]),
    ],
)
def test_speaker_filters(gql, demo, filter, expected):
    data = gql(f"{{ speakers(filter: {filter}) {{ totalCount edges {{ node {{ slug }} }} }} }}")
    assert slugs(data["speakers"]) == expected


def test_speakers_by_talk_count(gql, demo):
    edges = gql(
        "{ speakers(first: 100, orderBy: TALK_COUNT_DESC) { edges { node { name talkCount } } } }"
    )["speakers"]["edges"]
    keys = [(-e["node"]["talkCount"], e["node"]["name"]) for e in edges]
    assert keys == sorted(keys)
    assert edges[0]["node"] == {"name": "Andrew Godwin", "talkCount": 2}


def test_speakers_by_name(gql, demo):
    names = [
        e["node"]["name"]
        for e in gql("{ speakers(first: 100) { edges { node { name } } } }")["speakers"]["edges"]
    ]
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            "",
            [
                "djangocon-us-2019",
                "djangocon-europe-2019",
                "europython-2012",
                "djangocon-us-2011",
                "python-talk-videos",
                "python-bytes",
            ],
        ),
        (
            "orderBy: STARTS_ON_ASC",
            [
                "djangocon-us-2011",
                "europython-2012",
                "djangocon-europe-2019",
                "djangocon-us-2019",
                "python-bytes",
                "python-talk-videos",
            ],
        ),
        ("orderBy: NAME_ASC, filter: {year: 2019}", ["djangocon-europe-2019", "djangocon-us-2019"]),
        ('filter: {country: "denmark"}', ["djangocon-europe-2019"]),
        ("filter: {kind: PODCAST}", ["python-bytes"]),
        ('filter: {kind: CONFERENCE, country: "United States", year: 2011}', ["djangocon-us-2011"]),
    ],
)
def test_event_filters_and_orders(gql, demo, arguments, expected):
    query = f"{{ events{'(' + arguments + ')' if arguments else ''} {{ edges {{ node {{ slug }} }} }} }}"
    assert slugs(gql(query)["events"]) == expected


def test_topics_orders_and_filters(gql, demo):
    by_name = gql("{ topics(first: 100) { totalCount edges { node { name } } } }")["topics"]
    names = [e["node"]["name"] for e in by_name["edges"]]
    assert names == sorted(names) and by_name["totalCount"] == 22
    by_count = gql(
        "{ topics(first: 100, orderBy: TALK_COUNT_DESC) { edges { node { slug talkCount } } } }"
    )
    counts = [e["node"]["talkCount"] for e in by_count["topics"]["edges"]]
    assert counts == sorted(counts, reverse=True)
    at_event = gql('{ topics(filter: {event: "python-bytes"}) { edges { node { slug } } } }')
    assert slugs(at_event["topics"]) == [
        "async",
        "community",
        "data",
        "django",
        "packaging",
        "testing",
    ]
    of_speaker = gql('{ topics(filter: {speaker: "lynn-root"}) { edges { node { slug } } } }')
    assert slugs(of_speaker["topics"]) == ["async"]


def test_talk_without_speakers_has_an_empty_list(gql, demo):
    talk = gql('{ talk(slug: "content-aint-a-thing-web-scraping") { speakers { name } } }')["talk"]
    assert talk == {"speakers": []}


def test_field_descriptions_reach_graphiql(gql, db):
    data = gql('{ __type(name: "Talk") { fields { name description } } }')["__type"]["fields"]
    described = {f["name"]: f["description"] for f in data}
    assert described["speakers"] == "The speakers in billing order."
    assert "BCP 47" in described["language"]
