"""Relay pagination on top-level and nested connections: pages never repeat or skip."""

import base64
import datetime

import pytest

from tests.factories import EventFactory, SpeakerFactory, TalkFactory

PAGE = """query ($first: Int, $after: String, $last: Int, $before: String) {
  talks(first: $first, after: $after, last: $last, before: $before) {
    totalCount
    edges { cursor node { slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""

NESTED = """query ($first: Int, $after: String, $last: Int, $before: String) {
  speakers(first: 2) { edges { node { slug
    talks(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { slug } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } } }"""


@pytest.fixture
def talks(db):
    """25 talks; many share a recording date so only the id tie-break keeps pages stable."""
    speaker = SpeakerFactory(name="A")
    SpeakerFactory(name="B")  # a speaker with no talks
    same_day = datetime.date(2019, 4, 11)
    made = [
        TalkFactory(
            slug=f"talk-{i:02d}", recorded_on=same_day if i % 3 else None, speakers=[speaker]
        )
        for i in range(25)
    ]
    return made


def all_slugs_in_order():
    from talks.selectors import talk_list

    return list(talk_list().values_list("slug", flat=True))


def page(gql, **arguments):
    return gql(PAGE, arguments)["talks"]


def test_default_page_is_twenty(gql, talks):
    data = page(gql)
    assert len(data["edges"]) == 20
    assert data["totalCount"] == 25
    assert data["pageInfo"]["hasNextPage"] is True
    assert data["pageInfo"]["hasPreviousPage"] is False


def test_walking_forward_visits_every_row_once_in_order(gql, talks):
    seen, after = [], None
    while True:
        data = page(gql, first=7, after=after)
        seen += [edge["node"]["slug"] for edge in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == all_slugs_in_order()


def test_walking_backward_visits_every_row_once_in_order(gql, talks):
    seen, before = [], None
    while True:
        data = page(gql, last=7, before=before)
        seen = [edge["node"]["slug"] for edge in data["edges"]] + seen
        if not data["pageInfo"]["hasPreviousPage"]:
            break
        before = data["pageInfo"]["startCursor"]
    assert seen == all_slugs_in_order()


def test_last_page(gql, talks):
    data = page(gql, last=5)
    assert [e["node"]["slug"] for e in data["edges"]] == all_slugs_in_order()[-5:]
    assert data["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": data["edges"][0]["cursor"],
        "endCursor": data["edges"][-1]["cursor"],
    }


def test_past_the_end_is_an_empty_page(gql, talks):
    last_cursor = page(gql, last=1)["edges"][0]["cursor"]
    data = page(gql, first=10, after=last_cursor)
    assert data["edges"] == []
    assert data["pageInfo"]["hasNextPage"] is False
    assert data["pageInfo"]["startCursor"] is None
    assert data["totalCount"] == 25


def test_first_zero_is_an_empty_page_that_knows_more_exist(gql, talks):
    data = page(gql, first=0)
    assert data["edges"] == []
    assert data["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("argument", ["first", "last"])
def test_page_size_over_the_cap_is_a_clear_error(gql, talks, argument):
    error = gql.error(PAGE, {argument: 101})
    assert error["message"] == (
        f"`{argument}` must be at most 100 (got 101); page with `after`/`before`."
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


def test_page_size_of_exactly_the_cap_is_allowed(gql, talks):
    assert len(page(gql, first=100)["edges"]) == 25


@pytest.mark.parametrize("argument", ["first", "last"])
def test_negative_page_size_is_a_clear_error(gql, talks, argument):
    error = gql.error(PAGE, {argument: -1})
    assert error["message"] == f"`{argument}` must not be negative (got -1)."


@pytest.mark.parametrize(
    "cursor",
    ["garbage", base64.b64encode(b"offset:-3").decode(), base64.b64encode(b"other:3").decode(), ""],
)
@pytest.mark.parametrize("argument", ["after", "before"])
def test_invalid_cursor_is_a_clear_error(gql, talks, cursor, argument):
    error = gql.error(PAGE, {argument: cursor, "first": 5})
    assert error["message"].startswith(f"`{argument}` is not a valid cursor")


def test_nested_connection_pages_like_the_top_level(gql, talks):
    expected = all_slugs_in_order()
    speakers = gql(NESTED, {"first": 10})["speakers"]["edges"]
    a, b = speakers[0]["node"]["talks"], speakers[1]["node"]["talks"]
    assert [e["node"]["slug"] for e in a["edges"]] == expected[:10]
    assert a["totalCount"] == 25 and a["pageInfo"]["hasNextPage"] is True
    assert b == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
    }

    second = gql(NESTED, {"first": 10, "after": a["pageInfo"]["endCursor"]})
    a2 = second["speakers"]["edges"][0]["node"]["talks"]
    assert [e["node"]["slug"] for e in a2["edges"]] == expected[10:20]
    assert a2["pageInfo"]["hasPreviousPage"] is True

    tail = gql(NESTED, {"last": 3})["speakers"]["edges"][0]["node"]["talks"]
    assert [e["node"]["slug"] for e in tail["edges"]] == expected[-3:]
    assert tail["pageInfo"]["hasNextPage"] is False
    assert tail["pageInfo"]["hasPreviousPage"] is True

    before = gql(NESTED, {"last": 2, "before": tail["pageInfo"]["startCursor"]})
    window = before["speakers"]["edges"][0]["node"]["talks"]["edges"]
    assert [e["node"]["slug"] for e in window] == expected[-5:-3]


def test_nested_page_size_is_capped_too(gql, talks):
    error = gql.error(NESTED, {"first": 500})
    assert "`first` must be at most 100" in error["message"]


def test_each_parent_gets_its_own_page(gql):
    """Two events' talk pages are cut independently: one parent's rows never leak into another."""
    e1, e2 = EventFactory(), EventFactory()
    for i in range(4):
        TalkFactory(event=e1, slug=f"e1-{i}")
        TalkFactory(event=e2, slug=f"e2-{i}")
    data = gql("{ events { edges { node { slug talks(first: 3) { edges { node { slug } } } } } } }")
    prefix = {e1.slug: "e1", e2.slug: "e2"}
    for edge in data["events"]["edges"]:
        slugs = [t["node"]["slug"] for t in edge["node"]["talks"]["edges"]]
        assert len(slugs) == 3
        assert {slug.split("-")[0] for slug in slugs} == {prefix[edge["node"]["slug"]]}


def test_aliased_pages_of_many_parents_each_get_their_arguments_and_errors(gql):
    """The parents of one `talks` field share the work of reading its arguments; aliases
    with other arguments, and an invalid one, still answer for every parent."""
    for event in [EventFactory() for _ in range(3)]:
        for _ in range(3):
            TalkFactory(event=event)
    data = gql(
        "{ events { edges { node {"
        " one: talks(first: 1) { edges { node { slug } } }"
        " two: talks(first: 2) { edges { node { slug } } } } } } }"
    )
    nodes = [edge["node"] for edge in data["events"]["edges"]]
    assert [(len(n["one"]["edges"]), len(n["two"]["edges"])) for n in nodes] == [(1, 2)] * 3
    body = gql.raw("{ events { edges { node { slug bad: talks(first: 500) { totalCount } } } } }")
    assert body["errors"] and {error["path"][-1] for error in body["errors"]} == {"bad"}
    assert all("`first` must be at most 100" in error["message"] for error in body["errors"])


COUNTS = """query ($filter: TalkFilter, $first: Int = 2, $last: Int) {
  talks(filter: $filter, first: $first, last: $last) {
    totalCount totalCountIsExact edges { node { slug } } }
  speakers(first: 1) { edges { node { talks(filter: $filter) {
    totalCount totalCountIsExact } } } } }"""


def test_a_count_over_the_cap_is_an_estimate_and_says_so(gql, talks, monkeypatch):
    from talks import selectors

    monkeypatch.setattr(selectors.counts, "COUNT_EXACT_UP_TO", 10)
    in_2019 = {"recordedFrom": "2019-01-01"}  # 16 of the 25 talks
    data = gql(COUNTS, {"filter": in_2019})
    assert data["talks"]["totalCountIsExact"] is False
    assert data["talks"]["totalCount"] >= 11  # more than were counted
    assert len(data["talks"]["edges"]) == 2  # the page itself is exact
    # A nested list counts its parent's talks exactly, whatever their number.
    nested = data["speakers"]["edges"][0]["node"]["talks"]
    assert nested == {"totalCount": 16, "totalCountIsExact": True}

    unfiltered = gql(COUNTS, {})["talks"]
    assert (unfiltered["totalCount"], unfiltered["totalCountIsExact"]) == (25, True)
    # The last page of a list needs where it ends: counted exactly.
    last = gql(COUNTS, {"filter": in_2019, "first": None, "last": 2})["talks"]
    assert (last["totalCount"], last["totalCountIsExact"]) == (16, True)


def test_a_count_up_to_the_cap_is_exact(gql, talks):
    data = gql(COUNTS, {"filter": {"recordedFrom": "2019-01-01"}})
    assert (data["talks"]["totalCount"], data["talks"]["totalCountIsExact"]) == (16, True)


def test_a_search_the_planner_expects_to_match_far_more_than_the_cap_is_not_counted(
    gql, talks, monkeypatch
):
    """PostgreSQL takes the planner's estimate of a search it expects to match many times
    the cap, without counting a match; SQLite, which has no estimates, counts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from talks import selectors
    from talks.search import refresh_talk_search

    refresh_talk_search()
    monkeypatch.setattr(selectors.counts, "SEARCH_ESTIMATE_TRUSTED_FROM", 0)
    query = """{ talks(filter: {search: "talk"}, first: 2) {
      totalCount totalCountIsExact edges { node { slug } } } }"""
    with CaptureQueriesContext(connection) as statements:
        data = gql(query)["talks"]
    estimated = connection.vendor == "postgresql"
    assert data["totalCountIsExact"] is not estimated
    assert data["totalCount"] >= 1 if estimated else data["totalCount"] == 25, data
    assert len(data["edges"]) == 2
    counts = [q["sql"] for q in statements.captured_queries if "count" in q["sql"].lower()]
    assert len(counts) == 1, counts  # one statement counts the list, or estimates it


EXACT = """query ($filter: TalkFilter) {
  talks(filter: $filter, first: 2) { totalCount totalCountIsExact exactTotalCount }
  speakers(first: 1) { totalCount exactTotalCount
    edges { node { talks(filter: $filter) { totalCount exactTotalCount } } } } }"""


def test_a_client_that_needs_the_exact_count_over_the_cap_asks_for_it(gql, talks, monkeypatch):
    from talks import selectors

    monkeypatch.setattr(selectors.counts, "COUNT_EXACT_UP_TO", 10)
    in_2019 = {"recordedFrom": "2019-01-01"}  # 16 of the 25 talks
    data = gql(EXACT, {"filter": in_2019})
    assert data["talks"]["totalCountIsExact"] is False
    assert data["talks"]["exactTotalCount"] == 16
    nested = data["speakers"]["edges"][0]["node"]["talks"]
    assert nested == {"totalCount": 16, "exactTotalCount": 16}
    assert data["speakers"]["exactTotalCount"] == data["speakers"]["totalCount"]
    assert gql(EXACT, {})["talks"]["exactTotalCount"] == 25


def test_an_exact_count_under_the_cap_costs_no_second_statement(gql, talks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = """query ($filter: TalkFilter) { talks(filter: $filter, first: 2) {
      %s edges { node { slug } } } }"""
    in_2019 = {"filter": {"recordedFrom": "2019-01-01"}}
    with CaptureQueriesContext(connection) as estimated:
        assert gql(query % "totalCount", in_2019)["talks"]["totalCount"] == 16
    with CaptureQueriesContext(connection) as both:
        data = gql(query % "totalCount exactTotalCount", in_2019)["talks"]
    assert (data["totalCount"], data["exactTotalCount"]) == (16, 16)
    assert len(both) == len(estimated)
