"""Two server processes sharing one real Redis, through a proxy the test can cut:
persisted queries, rate-limit buckets and cached answers are shared, and a Redis outage
costs no request."""

import hashlib
import io
import os
import socket
import time
import uuid

import httpx
import pytest
from django.core.management import call_command

from talks.tokens import token_create
from tests.e2e.conftest import running_server, test_database_url
from tests.e2e.proxy import FaultyProxy

pytestmark = pytest.mark.e2e

REDIS = ("127.0.0.1", 6379)
LIMIT = 3000
PAGE = "{ talks(first: 20) { totalCount edges { node { title } } } }"


@pytest.fixture
def servers(transactional_db, staff_user):
    """Servers A and B on the test database and one Redis (behind `proxy`), limits on."""
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is needed at {REDIS}")
        pytest.skip(f"no Redis at {REDIS}")
    call_command("load_demo", stdout=io.StringIO())
    _, secret = token_create(user=staff_user, name="e2e")
    proxy = FaultyProxy(REDIS)
    env = {
        "REDIS_URL": f"redis://127.0.0.1:{proxy.port}/0",
        "GRAPHQL_RATE_LIMIT_ANONYMOUS": str(LIMIT),
        "GRAPHQL_RATE_LIMIT_TOKEN": str(100 * LIMIT),
    }
    with (
        running_server(test_database_url(), **env) as a,
        running_server(test_database_url(), **env) as b,
    ):
        yield a, b, proxy, secret
    proxy.close()


def as_client(address: str) -> dict:
    # uvicorn takes the client's address from X-Forwarded-For when the peer (here
    # 127.0.0.1) is in FORWARDED_ALLOW_IPS, its default: each test is its own client.
    return {"X-Forwarded-For": address}


def test_a_query_persisted_through_one_server_runs_by_hash_on_the_other(servers):
    a, b, _, _ = servers
    query = f"# {uuid.uuid4()}\n{PAGE}"
    extensions = {
        "persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}
    }
    unknown = httpx.post(f"{b}/graphql/", json={"extensions": extensions})
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    stored = httpx.post(f"{a}/graphql/", json={"query": query, "extensions": extensions})
    assert "errors" not in stored.json()
    by_hash = httpx.post(f"{b}/graphql/", json={"extensions": extensions})
    assert by_hash.json() == stored.json()


def test_the_rate_limit_bucket_is_shared(servers):
    a, b, _, _ = servers
    client = as_client(f"198.51.100.{uuid.uuid4().int % 250 + 1}")
    first = httpx.post(f"{a}/graphql/", json={"query": PAGE}, headers=client)
    cost = LIMIT - int(first.headers["RateLimit-Remaining"])
    second = httpx.post(f"{b}/graphql/", json={"query": PAGE}, headers=client)
    # B's answer shows A's spending (less what refilled in between: LIMIT / 60 a second).
    assert int(second.headers["RateLimit-Remaining"]) < LIMIT - cost - cost // 2
    answers = [
        httpx.post(f"{server}/graphql/", json={"query": PAGE}, headers=client)
        for server in [a, b] * (LIMIT // cost)
    ]
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused, "the two servers' requests come out of one bucket"
    assert {answer.json()["errors"][0]["extensions"]["code"] for answer in refused} == {
        "RATE_LIMITED"
    }
    assert all(int(answer.headers["Retry-After"]) >= 1 for answer in refused)


def test_a_write_through_one_server_makes_the_others_cached_answers_stale(servers):
    a, b, _, secret = servers
    query = f"# {uuid.uuid4()}\n{{ topics(first: 100) {{ totalCount }} }}"
    cached = httpx.get(f"{b}/graphql/", params={"query": query})
    again = httpx.get(f"{b}/graphql/", params={"query": query})
    assert again.headers["ETag"] == cached.headers["ETag"]
    assert (
        httpx.get(
            f"{b}/graphql/",
            params={"query": query},
            headers={"If-None-Match": cached.headers["ETag"]},
        ).status_code
        == 304
    )

    created = httpx.post(
        f"{a}/graphql/",
        json={"query": 'mutation { createTopic(input: {name: "Shared state"}) { __typename } }'},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert created.json() == {"data": {"createTopic": {"__typename": "Topic"}}}
    assert created.headers["Cache-Control"] == "no-store"

    fresh = httpx.get(
        f"{b}/graphql/", params={"query": query}, headers={"If-None-Match": cached.headers["ETag"]}
    )
    assert fresh.status_code == 200
    total = cached.json()["data"]["topics"]["totalCount"]
    assert fresh.json()["data"]["topics"]["totalCount"] == total + 1


@pytest.mark.parametrize("outage", ["refuse", "blackhole"])
def test_redis_going_away_costs_no_request(servers, outage):
    a, b, proxy, _ = servers
    client = as_client(f"203.0.113.{uuid.uuid4().int % 250 + 1}")
    query = f"# {uuid.uuid4()}\n{PAGE}"
    assert (
        "RateLimit-Remaining"
        in httpx.post(f"{a}/graphql/", json={"query": PAGE}, headers=client).headers
    )

    proxy.cut(outage)
    for server in (a, b, a, b):
        posted = httpx.post(f"{server}/graphql/", json={"query": PAGE}, headers=client, timeout=10)
        got = httpx.get(f"{server}/graphql/", params={"query": query}, headers=client, timeout=10)
        assert posted.status_code == got.status_code == 200
        assert posted.json()["data"]["talks"]["totalCount"] > 0
        assert "RateLimit-Remaining" not in posted.headers  # not limited while Redis is away

    proxy.cut("up")
    deadline = time.monotonic() + 20
    while (
        "RateLimit-Remaining"
        not in (answer := httpx.post(f"{a}/graphql/", json={"query": PAGE}, headers=client)).headers
    ):
        assert time.monotonic() < deadline, "limits did not come back with Redis"
        time.sleep(0.5)
    assert answer.status_code == 200


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(transactional_db):
    """A client that is not the trusted proxy cannot pick its bucket by X-Forwarded-For."""
    call_command("load_demo", stdout=io.StringIO())
    limits = {"GRAPHQL_RATE_LIMIT_ANONYMOUS": str(LIMIT), "FORWARDED_ALLOW_IPS": "10.255.255.1"}
    with running_server(test_database_url(), **limits) as base:
        spent = [
            int(
                httpx.post(
                    f"{base}/graphql/",
                    json={"query": PAGE},
                    headers=as_client(f"198.51.100.{n}"),
                ).headers["RateLimit-Remaining"]
            )
            for n in range(1, 4)
        ]
    assert spent[0] > spent[1] > spent[2], "one bucket, whatever X-Forwarded-For says"


def admin_login(base: str, username: str, password: str, address: str) -> httpx.Response:
    """A login through the admin's form, as a browser sends it (with its CSRF token)."""
    with httpx.Client(base_url=base, headers=as_client(address)) as browser:
        page = browser.get("/admin/login/")
        token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        return browser.post(
            "/admin/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/admin/login/"},
        )


def test_failed_admin_logins_are_counted_across_servers(servers):
    from django.contrib.auth.models import User

    a, b, _, _ = servers
    name = f"admin-{uuid.uuid4().hex[:8]}"
    User.objects.create_user(name, password="right-password-42", is_staff=True)
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    for server in (a, b, a, b, a):  # ADMIN_LOGIN_FAILURES: 5
        answer = admin_login(server, name, "wrong", address)
        assert answer.status_code == 200 and "Please enter the correct username" in answer.text
    refused = admin_login(b, name, "right-password-42", address)
    assert refused.status_code == 200, "the right password is refused while locked out"
    assert "Too many failed logins for this account or from this address" in refused.text
    # Another account from another address logs in.
    other = f"admin-{uuid.uuid4().hex[:8]}"
    User.objects.create_user(other, password="right-password-42", is_staff=True)
    assert admin_login(a, other, "right-password-42", "192.0.2.251").status_code == 302
