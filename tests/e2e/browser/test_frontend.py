"""examples/frontend in Chromium, served from another origin than the API: it lists
talks, searches as the user types and loads more by cursor, when its origin is in
CORS_ALLOWED_ORIGINS, and the browser refuses it the answers when it is not."""

import io
from pathlib import Path
from urllib.parse import unquote, urlencode

import httpx
import pytest
from django.core.management import call_command

from tests.e2e.browser.conftest import static_site
from tests.e2e.conftest import running_server, test_database_url

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FRONTEND = Path(__file__).resolve().parents[3] / "examples" / "frontend"
PAGE_SIZE = 10  # examples/frontend/app.js


@pytest.fixture
def origins(transactional_db):
    """The API, the frontend on an origin it allows, and the same files on one it does
    not."""
    call_command("load_demo", stdout=io.StringIO())
    with (
        static_site(FRONTEND) as allowed,
        static_site(FRONTEND) as refused,
        running_server(test_database_url(), CORS_ALLOWED_ORIGINS=allowed) as api,
    ):
        yield api, allowed, refused


def api_titles(api: str, search: str | None, first: int) -> tuple[int, list[str]]:
    query = """query ($search: String, $first: Int!) {
      talks(filter: {search: $search}, first: $first) { totalCount edges { node { title } } }
    }"""
    answer = httpx.post(
        f"{api}/graphql/", json={"query": query, "variables": {"search": search, "first": first}}
    ).json()["data"]["talks"]
    return answer["totalCount"], [edge["node"]["title"] for edge in answer["edges"]]


def shown_titles(page) -> list[str]:
    return page.locator("#talks li .title").all_inner_texts()


def is_query(response, api: str) -> bool:
    return response.url.startswith(f"{api}/graphql/") and (
        response.request.headers.get("accept") != "text/event-stream"
    )


def open_frontend(page, origin: str, api: str) -> None:
    page.goto(f"{origin}/?{urlencode({'api': f'{api}/graphql/'})}")


def test_the_frontend_lists_searches_and_loads_more(origins, browser_page):
    api, allowed, _ = origins
    page = browser_page
    total, first_twenty = api_titles(api, None, 2 * PAGE_SIZE)

    open_frontend(page, allowed, api)
    status = page.locator("#status")
    status.get_by_text(f"{PAGE_SIZE} of {total} talks").wait_for()
    assert shown_titles(page) == first_twenty[:PAGE_SIZE]

    page.get_by_role("button", name="Load more").click()
    status.get_by_text(f"{2 * PAGE_SIZE} of {total} talks").wait_for()
    assert shown_titles(page) == first_twenty

    # As the user types: the last word may be cut short.
    page.locator("#search").press_sequentially("djang", delay=40)
    matches, best = api_titles(api, "djang", PAGE_SIZE)
    assert 0 < matches < total
    status.get_by_text(f"{min(matches, PAGE_SIZE)} of {matches} talks").wait_for()
    assert shown_titles(page) == best
    assert page.get_by_role("button", name="Load more").is_visible() == (matches > PAGE_SIZE)

    assert page.record.hosts() == {"127.0.0.1"}
    assert not [line for line in page.record.console if "CORS" in line]

    # Every query went as a persisted GET; the answers are public and cacheable. (The
    # list's live changes come over an event stream of their own.)
    api_calls = [r for r in page.record.responses if is_query(r, api)]
    assert api_calls and {r.request.method for r in api_calls} == {"GET"}
    assert all("persistedQuery" in unquote(r.url) for r in api_calls)
    by_hash = [r for r in api_calls if "query=" not in r.url]
    answered = [r for r in by_hash if "errors" not in r.json()]
    assert answered, "some queries were answered by hash alone"
    unknown = [r for r in by_hash if "errors" in r.json()]
    assert len(unknown) == 1, "the text was sent once, for the first query"
    assert unknown[0].json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert all(r.headers["cache-control"].startswith("public") for r in answered)


def test_a_reload_is_answered_by_hash_from_the_cache(origins, browser_page):
    api, allowed, _ = origins
    page = browser_page
    open_frontend(page, allowed, api)
    page.locator("#status").get_by_text("of ").wait_for()
    first = shown_titles(page)
    page.record.responses.clear()
    page.reload()
    page.locator("#status").get_by_text("of ").wait_for()
    assert shown_titles(page) == first
    api_calls = [r for r in page.record.responses if is_query(r, api)]
    assert api_calls, "the answer came from the network or the browser's HTTP cache"
    assert all("query=" not in r.url for r in api_calls), "the hash alone was enough"


def test_an_origin_the_api_does_not_allow_gets_no_answers(origins, browser_page):
    api, _, refused = origins
    page = browser_page

    open_frontend(page, refused, api)
    page.locator("#status.error").wait_for()
    assert "could not be reached" in page.locator("#status").inner_text()
    assert shown_titles(page) == []
    assert any("blocked by CORS policy" in line for line in page.record.console)


def test_a_talk_changed_elsewhere_changes_in_the_open_list(origins, browser_page, staff_user):
    from talks.tokens import token_create

    api, allowed, _ = origins
    page = browser_page
    open_frontend(page, allowed, api)
    page.locator("#status").get_by_text("of ").wait_for()
    first = page.locator("#talks li").first
    talk_id, title = first.get_attribute("data-id"), first.locator(".title").inner_text()
    page.wait_for_timeout(500)  # the subscription's stream is open by now
    token = token_create(user=staff_user, name="editor")[1]
    changed = httpx.post(
        f"{api}/graphql/",
        json={
            "query": "mutation ($id: ID!, $title: String!) { updateTalk(input: "
            "{id: $id, title: $title}) { __typename } }",
            "variables": {"id": talk_id, "title": f"{title} (moved to Hall B)"},
        },
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert changed["data"]["updateTalk"] == {"__typename": "Talk"}
    first.locator(".title").get_by_text(f"{title} (moved to Hall B)").wait_for()
    streams = [
        r for r in page.record.responses if r.request.headers.get("accept") == "text/event-stream"
    ]
    assert streams and streams[0].headers["content-type"] == "text/event-stream"
