"""Django's middleware on the event loop (edge.middleware): the same answers as Django's
own classes give, through the ASGI handler, without a thread per middleware."""

import re

import pytest
from asgiref import sync
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from edge.middleware import check_protections

STOCK = {
    "edge.middleware.SecurityMiddleware": "django.middleware.security.SecurityMiddleware",
    "edge.middleware.SessionMiddleware": "django.contrib.sessions.middleware.SessionMiddleware",
    "edge.middleware.CommonMiddleware": "django.middleware.common.CommonMiddleware",
    "edge.middleware.CsrfViewMiddleware": "django.middleware.csrf.CsrfViewMiddleware",
    "edge.middleware.AuthenticationMiddleware": (
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    ),
    "edge.middleware.MessageMiddleware": "django.contrib.messages.middleware.MessageMiddleware",
    "edge.middleware.XFrameOptionsMiddleware": (
        "django.middleware.clickjacking.XFrameOptionsMiddleware"
    ),
}
VARYING = {"date", "expires", "x-request-id", "set-cookie", "etag", "content-length"}


def stock(middleware: list[str]) -> list[str]:
    return [STOCK.get(path, path) for path in middleware]


def seen(response) -> tuple:
    """What a client sees of an answer, less what differs from one request to the next."""
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in VARYING}
    body = re.sub(rb'(value="|"csrfToken": ")[^"]{20,}"', rb'\1TOKEN"', response.content)
    return response.status_code, headers, sorted(response.cookies), body


async def staff_session(client: AsyncClient, staff_user) -> list[tuple]:
    """An editor's visit to the admin through the ASGI handler: log in with the CSRF
    token, add a topic, see the message saying so, and use the API from the session."""
    seen_answers = []
    login = await client.get("/admin/login/")
    seen_answers.append(seen(login))
    token = login.cookies["csrftoken"].value
    form = {"username": "editor", "password": "pw", "csrfmiddlewaretoken": token}
    logged_in = await client.post("/admin/login/?next=/admin/", form)
    seen_answers.append(seen(logged_in))
    add = await client.get("/admin/talks/topic/add/")
    token = client.cookies["csrftoken"].value
    form = {"name": "Middleware", "slug": "middleware", "csrfmiddlewaretoken": token}
    added = await client.post("/admin/talks/topic/add/", form)
    seen_answers += [seen(add)[:3], seen(added)[:3]]
    listing = await client.get(added["Location"])
    assert b"was added successfully" in listing.content  # the message, through the session
    seen_answers.append(listing.status_code)
    without_csrf = await client.post(
        "/graphql/",
        {
            "query": 'mutation { createTopic(input: {name: "X"}) { '
            "... on OperationInfo { messages { code } } } }"
        },
        content_type="application/json",
    )
    seen_answers.append(seen(without_csrf))
    return seen_answers


@pytest.mark.django_db(transaction=True)
def test_an_editors_visit_goes_as_with_djangos_own_middleware(settings, staff_user):
    ours = async_to_sync(staff_session)(AsyncClient(enforce_csrf_checks=True), staff_user)
    settings.MIDDLEWARE = stock(settings.MIDDLEWARE)
    from talks.models import Topic

    Topic.objects.filter(name="Middleware").delete()
    theirs = async_to_sync(staff_session)(AsyncClient(enforce_csrf_checks=True), staff_user)
    assert ours == theirs
    assert ours[1][0] == 302 and "sessionid" in ours[1][2]  # logged in
    assert b"csrf_failed" in ours[-1][3]  # a cookie's mutation without the CSRF token


@pytest.mark.django_db(transaction=True)
def test_api_answers_are_the_same_as_with_djangos_own_middleware(settings):
    async def requests() -> list[tuple]:
        client = AsyncClient()
        answers = [
            await client.post("/graphql/", {"query": "{ __typename }"}, "application/json"),
            await client.get("/graphql/", {"query": "{ __typename }"}),
            await client.get("/graphql/", headers={"Accept": "text/html"}),  # GraphiQL
            await client.get("/graphql"),  # APPEND_SLASH
            await client.options("/graphql/", headers={"Origin": "https://elsewhere.example"}),
        ]
        return [seen(answer) for answer in answers]

    ours = async_to_sync(requests)()
    settings.MIDDLEWARE = stock(settings.MIDDLEWARE)
    assert ours == async_to_sync(requests)()
    assert ours[2][1]["x-frame-options"] == "DENY"
    assert ours[0][1]["x-content-type-options"] == "nosniff"


@pytest.mark.django_db(transaction=True)
def test_a_graphql_request_leaves_the_event_loop_only_for_djangos_signals(monkeypatch):
    hops = []
    hop = sync.SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await hop(self, *args, **kwargs)

    async def ask():
        client = AsyncClient()
        await client.post("/graphql/", {"query": "{ __typename }"}, "application/json")
        hops.clear()
        await client.post("/graphql/", {"query": "{ __typename }"}, "application/json")

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counted)
    async_to_sync(ask)()
    # request_started's receivers and the response's close (request_finished, which
    # gives the database connection back): both on the thread that held it.
    assert len(hops) == 2, hops


def test_the_deploy_check_knows_the_subclasses(settings):
    assert check_protections(None) == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "Csrf" not in m]
    (warning,) = check_protections(None)
    assert warning.id == "edge.security_W003"
    settings.MIDDLEWARE = stock(settings.MIDDLEWARE)
    assert [w.id for w in check_protections(None)] == ["edge.security_W003"]
