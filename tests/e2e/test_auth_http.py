"""Both ways in, over real HTTP: a bearer token, and an admin session with its CSRF token."""

import re

import httpx
import pytest
from django.contrib.auth.models import Permission, User

from talks.models import Topic
from talks.tokens import token_create

pytestmark = pytest.mark.e2e

CREATE = """mutation { createTopic(input: {name: "Serverless"}) { __typename
  ... on Topic { slug } ... on OperationInfo { messages { kind code } } } }"""


@pytest.fixture
def editor(server):
    user = User.objects.create_user("editor", password="correct horse", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="add_topic"))
    return user


def test_bearer_token_mutation(server, editor):
    _, secret = token_create(user=editor, name="tooling")
    response = httpx.post(
        f"{server}/graphql/", json={"query": CREATE}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["createTopic"] == {"__typename": "Topic", "slug": "serverless"}
    assert Topic.objects.filter(slug="serverless").exists()


def test_bad_token_is_a_401_and_writes_nothing(server, editor):
    response = httpx.post(
        f"{server}/graphql/",
        json={"query": CREATE},
        headers={"Authorization": "Bearer talks_not-a-real-token"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not Topic.objects.filter(slug="serverless").exists()


def test_admin_session_needs_the_csrf_token(server, editor):
    with httpx.Client(base_url=server) as browser:
        login_page = browser.get("/admin/login/")
        form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text)[1]
        logged_in = browser.post(
            "/admin/login/?next=/admin/",
            data={
                "username": "editor",
                "password": "correct horse",
                "csrfmiddlewaretoken": form_token,
            },
        )
        assert logged_in.status_code == 302 and "sessionid" in browser.cookies

        without = browser.post("/graphql/", json={"query": CREATE}).json()
        assert without["data"]["createTopic"]["messages"] == [
            {"kind": "PERMISSION", "code": "csrf_failed"}
        ]
        assert not Topic.objects.filter(slug="serverless").exists()

        with_token = browser.post(
            "/graphql/",
            json={"query": CREATE},
            headers={"X-CSRFToken": browser.cookies["csrftoken"]},
        ).json()
        assert with_token["data"]["createTopic"] == {"__typename": "Topic", "slug": "serverless"}


def test_anonymous_mutation_is_a_permission_message(server):
    body = httpx.post(f"{server}/graphql/", json={"query": CREATE}).json()
    assert body["data"]["createTopic"]["messages"] == [
        {"kind": "PERMISSION", "code": "unauthenticated"}
    ]
