"""GraphiQL in Chromium: it loads from our own files alone, runs the example, documents
the schema, and writes with a logged-in staff session (and only with one)."""

import json
from urllib.parse import urlencode

import pytest

from schema.permissions import LOGIN_REQUIRED
from talks.models import Talk, Topic

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CREATE_TOPIC = """mutation {
  createTopic(input: {name: "Browser testing"}) {
    __typename
    ... on Topic { name slug }
    ... on OperationInfo { messages { kind message } }
  }
}"""


def run_in_graphiql(page) -> dict:
    """Press Run and return the result pane's JSON once it arrives."""
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    result = page.wait_for_function(
        """() => {
          const editor = document.querySelector('.result-window .CodeMirror');
          const text = editor && editor.CodeMirror.getValue();
          return text ? text : null;
        }"""
    )
    return json.loads(result.json_value())


def log_in_to_admin(page, server: str, username: str, password: str) -> None:
    page.goto(f"{server}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{server}/admin/")


def assert_only_local_and_allowed(page) -> None:
    assert page.record.hosts() == {"127.0.0.1"}, page.record.requests
    assert page.record.policy_violations() == []
    assert not [line for line in page.record.console if line.startswith("uncaught")]


def test_graphiql_runs_the_example_and_shows_the_docs_offline(server, browser_page):
    page = browser_page
    talks = Talk.objects.count()
    page.goto(f"{server}/graphql/")
    page.locator(".graphiql-query-editor").get_by_text("talks(first: 5)").wait_for()

    result = run_in_graphiql(page)
    assert "errors" not in result
    assert result["data"]["talks"]["totalCount"] == talks
    assert page.locator(".result-window").get_by_text(f'"totalCount": {talks}').is_visible()

    page.get_by_role("button", name="Show Documentation Explorer").click()
    docs = page.locator(".graphiql-doc-explorer")
    docs.get_by_role("link", name="Talk", exact=True).first.click()
    docs.get_by_text("The title as billed.").wait_for()
    fields = docs.locator(".graphiql-doc-explorer-field-name").all_inner_texts()
    assert {"id", "slug", "title", "abstract", "event", "speakers", "topics"} <= set(fields)

    # The dialogs add an inline <style>, which the page's policy allows by its hash.
    for dialog in ("Open settings dialog", "Open short keys dialog"):
        page.get_by_role("button", name=dialog).click()
        page.get_by_role("dialog").wait_for()
        page.keyboard.press("Escape")
        page.get_by_role("dialog").wait_for(state="detached")
    assert_only_local_and_allowed(page)


def test_a_logged_in_staff_user_creates_a_topic_from_graphiql(server, browser_page, staff_user):
    page = browser_page
    log_in_to_admin(page, server, "editor", "pw")
    page.goto(f"{server}/graphql/?{urlencode({'q': CREATE_TOPIC})}")

    result = run_in_graphiql(page)
    assert result == {
        "data": {
            "createTopic": {
                "__typename": "Topic",
                "name": "Browser testing",
                "slug": "browser-testing",
            }
        }
    }
    assert Topic.objects.filter(slug="browser-testing").exists()
    assert_only_local_and_allowed(page)


def test_a_logged_out_graphiql_is_refused_the_mutation(server, browser_page):
    page = browser_page
    page.goto(f"{server}/graphql/?{urlencode({'q': CREATE_TOPIC})}")

    result = run_in_graphiql(page)
    payload = result["data"]["createTopic"]
    assert payload["__typename"] == "OperationInfo"
    assert payload["messages"] == [{"kind": "PERMISSION", "message": LOGIN_REQUIRED}]
    assert not Topic.objects.filter(slug="browser-testing").exists()
    assert_only_local_and_allowed(page)
