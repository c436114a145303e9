"""examples/frontend/schedule.html in Chromium: a day of the demo programme with rooms as
columns, times in the event's time zone, and what is on now and next."""

import io
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from django.core.management import call_command

from tests.e2e.browser.conftest import static_site
from tests.e2e.conftest import running_server, test_database_url

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FRONTEND = Path(__file__).resolve().parents[3] / "examples" / "frontend"
DAY = """query ($day: Date!, $at: DateTime!) { event(slug: "europython-2012") {
  rooms { name } schedule(day: $day) { title slot { room { name } } }
  now(at: $at) { title } next(at: $at, first: 3) { title } } }"""


@pytest.fixture
def site(transactional_db):
    call_command("load_demo", stdout=io.StringIO())
    with (
        static_site(FRONTEND) as origin,
        running_server(test_database_url(), CORS_ALLOWED_ORIGINS=origin) as api,
    ):
        yield api, origin


def test_a_day_of_the_programme_with_rooms_as_columns_and_now_and_next(site, browser_page):
    api, origin = site
    at = "2012-07-04T10:15:00+02:00"
    expected = httpx.post(
        f"{api}/graphql/", json={"query": DAY, "variables": {"day": "2012-07-04", "at": at}}
    ).json()["data"]["event"]
    assert expected["schedule"] and expected["now"] and expected["next"]
    page = browser_page
    query = urlencode({"api": f"{api}/graphql/", "event": "europython-2012", "at": at})
    page.goto(f"{origin}/schedule.html?{query}")
    status = page.locator("#status")
    status.get_by_text("talks on 2012-07-04, times in Europe/Rome").wait_for()

    rooms = [room["name"] for room in expected["rooms"]]
    assert page.locator("#grid thead th").all_inner_texts()[1:] == rooms
    for talk in expected["schedule"]:
        column = page.locator(f'#grid td[data-room="{talk["slot"]["room"]["name"]}"]')
        assert talk["title"] in column.all_inner_texts()[0] or any(
            talk["title"] in text for text in column.all_inner_texts()
        )
    # times in the event's zone: the first row starts at 09:00 in Rome (07:00 UTC)
    assert page.locator("#grid tbody th.start").first.inner_text() == "09:00"

    now = page.locator("#now li").all_inner_texts()
    assert [line.split(" (")[0] for line in now] == [talk["title"] for talk in expected["now"]]
    upcoming = page.locator("#next li").all_inner_texts()
    assert [line.split(" ", 1)[1].rsplit(" (", 1)[0] for line in upcoming] == [
        talk["title"] for talk in expected["next"]
    ]

    page.get_by_role("button", name="2012-07-05").click()
    status.get_by_text("talks on 2012-07-05").wait_for()
    assert page.get_by_role("button", name="2012-07-05").get_attribute("aria-pressed") == "true"
    assert not [line for line in page.record.console if "error" in line.lower()]
