"""The Django admin in Chromium: an editor logs in, renames a talk, and the API and the
admin's history both show it; no page breaks the Content-Security-Policy."""

import httpx
import pytest
from django.contrib.auth.models import Permission

from talks.models import Talk

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_an_editor_renames_a_talk_and_the_api_and_history_show_it(server, browser_page, staff_user):
    staff_user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_talk", "change_talk"])
    )
    page = browser_page
    talk = Talk.objects.order_by("title").first()
    new_title = f"{talk.title} (renamed in the admin)"

    page.goto(f"{server}/admin/")
    assert page.title() == "Log in | Conference talks"
    assert page.locator("#site-name").inner_text() == "Conference talks"
    page.fill("#id_username", "editor")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(f"{server}/admin/")

    page.goto(f"{server}/admin/talks/talk/")
    page.locator("#result_list").get_by_role("link", name=talk.title, exact=True).click()
    page.locator("#id_title").fill(new_title)
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()
    assert new_title in page.locator(".messagelist .success").inner_text()

    answer = httpx.post(
        f"{server}/graphql/", json={"query": f'{{ talk(slug: "{talk.slug}") {{ title }} }}'}
    )
    assert answer.json() == {"data": {"talk": {"title": new_title}}}

    page.goto(f"{server}/admin/talks/talk/{talk.pk}/history/")
    history = page.locator("#change-history").inner_text()
    assert "editor" in history
    assert "Changed Title." in history

    assert page.record.hosts() == {"127.0.0.1"}
    assert page.record.policy_violations() == []
