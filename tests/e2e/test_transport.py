"""GraphQL over HTTP as its specification asks, checked over real HTTP against uvicorn."""

import json

import httpx
import pytest

pytestmark = pytest.mark.e2e

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_TYPE = "application/json"
QUERY = "{ talks(first: 1) { totalCount } }"

# (case, method, headers, body or params, status, response media type, error text or None)
CASES = [
    ("query, no Accept", "POST", {}, {"query": QUERY}, 200, JSON_TYPE, None),
    ("query, Accept json", "POST", {"Accept": JSON_TYPE}, {"query": QUERY}, 200, JSON_TYPE, None),
    (
        "query, Accept graphql-response+json",
        "POST",
        {"Accept": f"{GRAPHQL_RESPONSE}, {JSON_TYPE};q=0.9"},
        {"query": QUERY},
        200,
        GRAPHQL_RESPONSE,
        None,
    ),
    ("query over GET", "GET", {}, {"query": QUERY}, 200, JSON_TYPE, None),
    (
        "mutation over GET",
        "GET",
        {},
        {"query": 'mutation { deleteTopic(id: "x") { __typename } }'},
        405,
        JSON_TYPE,
        "Mutations must be sent with POST",
    ),
    ("PUT", "PUT", {}, {"query": QUERY}, 405, JSON_TYPE, "Use GET or POST"),
    (
        "Accept nothing we speak",
        "POST",
        {"Accept": "text/csv"},
        {"query": QUERY},
        406,
        JSON_TYPE,
        "Accept",
    ),
    ("malformed JSON", "POST", {}, b"{not json", 400, JSON_TYPE, "not valid JSON"),
    ("no query", "POST", {}, {"variables": {}}, 400, JSON_TYPE, "no GraphQL `query`"),
    ("query not a string", "POST", {}, {"query": 123}, 400, JSON_TYPE, "`query` must be a string"),
    (
        "variables a list",
        "POST",
        {},
        {"query": QUERY, "variables": [1]},
        400,
        JSON_TYPE,
        "`variables` must be a JSON object",
    ),
    (
        "operationName a number",
        "POST",
        {},
        {"query": QUERY, "operationName": 5},
        400,
        JSON_TYPE,
        "`operationName` must be a string",
    ),
    ("body not an object", "POST", {}, "just a string", 400, JSON_TYPE, "must be a JSON object"),
    (
        "batch",
        "POST",
        {},
        [{"query": QUERY}, {"query": QUERY}],
        400,
        JSON_TYPE,
        "Batched requests are not supported",
    ),
    (
        "text/plain body",
        "POST",
        {"Content-Type": "text/plain"},
        QUERY.encode(),
        415,
        JSON_TYPE,
        "application/json",
    ),
    ("body too large", "POST", {}, {"query": QUERY + " " * 200_000}, 413, JSON_TYPE, "larger than"),
    (
        "unknown operationName",
        "POST",
        {},
        {"query": QUERY, "operationName": "Nope"},
        400,
        JSON_TYPE,
        "Nope",
    ),
    ("syntax error, json", "POST", {}, {"query": "{ talks("}, 200, JSON_TYPE, "Syntax Error"),
    (
        "syntax error, graphql-response+json",
        "POST",
        {"Accept": GRAPHQL_RESPONSE},
        {"query": "{ talks("},
        400,
        GRAPHQL_RESPONSE,
        "Syntax Error",
    ),
    (
        "validation error, graphql-response+json",
        "POST",
        {"Accept": GRAPHQL_RESPONSE},
        {"query": "{ talks { nope } }"},
        400,
        GRAPHQL_RESPONSE,
        "nope",
    ),
    (
        "too complex, graphql-response+json",
        "POST",
        {"Accept": GRAPHQL_RESPONSE},
        {
            "query": "{ talks(first: 100) { edges { node { speakers { talks(first: 100) { edges { node { slug } } } } } } } }"
        },
        400,
        GRAPHQL_RESPONSE,
        "could return up to",
    ),
    (
        "field error, graphql-response+json",
        "POST",
        {"Accept": GRAPHQL_RESPONSE},
        {"query": "{ talks(first: 1000) { totalCount } }"},
        200,
        GRAPHQL_RESPONSE,
        "`first` must be at most 100",
    ),
]


def send(server: str, method: str, headers: dict, body) -> httpx.Response:
    url = f"{server}/graphql/"
    if method == "GET":
        return httpx.get(url, params=body, headers=headers)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **headers}
    return httpx.request(method, url, content=content, headers=headers)


def test_every_transport_case(server):
    """One server for the whole table; each row checked for status, type and error."""
    failures = []
    for case, method, headers, body, status, media_type, error in CASES:
        response = send(server, method, headers, body)
        problems = []
        if response.status_code != status:
            problems.append(f"status {response.status_code} != {status}")
        if not response.headers["content-type"].startswith(media_type):
            problems.append(f"content-type {response.headers['content-type']}")
        try:
            payload = response.json()
        except ValueError:
            problems.append(f"body is not JSON: {response.text[:80]!r}")
            payload = {}
        messages = " ".join(e.get("message", "") for e in payload.get("errors", []))
        if error is None and payload.get("errors"):
            problems.append(f"unexpected errors: {messages}")
        if error is not None and error not in messages:
            problems.append(f"error {error!r} not in {messages!r}")
        if status == 405 and "Allow" not in response.headers:
            problems.append("405 without Allow")
        if problems:
            failures.append(f"{case}: {'; '.join(problems)}")
    assert not failures, "\n".join(failures)


def test_request_ids_are_echoed_or_made(server):
    given = httpx.post(
        f"{server}/graphql/", json={"query": QUERY}, headers={"X-Request-ID": "abc-123"}
    )
    assert given.headers["x-request-id"] == "abc-123"
    made = httpx.post(f"{server}/graphql/", json={"query": QUERY})
    assert len(made.headers["x-request-id"]) == 32
    hostile = httpx.post(
        f"{server}/graphql/", json={"query": QUERY}, headers={"X-Request-ID": 'a b"<>' * 40}
    )
    assert hostile.headers["x-request-id"] != 'a b"<>' * 40


def test_health_and_readiness(server):
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok"}


def test_security_headers(server):
    response = httpx.post(f"{server}/graphql/", json={"query": QUERY})
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "content-security-policy" not in response.headers  # JSON, not a page


def test_every_html_page_has_the_strict_content_security_policy(server):
    pages = {
        "GraphiQL": httpx.get(f"{server}/graphql/", headers={"Accept": "text/html"}),
        "admin login": httpx.get(f"{server}/admin/login/"),
        "admin redirect target": httpx.get(f"{server}/admin/", follow_redirects=True),
        "not found": httpx.get(f"{server}/no-such-page/"),
    }
    for name, response in pages.items():
        assert response.headers["content-type"].startswith("text/html"), name
        policy = dict(
            directive.strip().split(" ", 1)
            for directive in response.headers["content-security-policy"].split(";")
        )
        assert policy["default-src"] == "'self'", name
        assert policy["script-src"] == "'self'", name
        assert policy["frame-ancestors"] == "'none'", name
        assert policy["object-src"] == "'none'", name
        assert "unsafe" not in response.headers["content-security-policy"], name


def test_request_errors_have_no_data_entry_under_graphql_response_json(server):
    """The spec's SHOULD (graphql-http audit D586, 5E5B): nothing ran, so no `data`."""
    for query in ("{ talks(", "{ talks { nope } }", "{ talks(first: 2147483648) { totalCount } }"):
        response = httpx.post(
            f"{server}/graphql/", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
        )
        assert response.status_code == 400
        body = response.json()
        assert "data" not in body and body["errors"], (query, body)
    legacy = httpx.post(f"{server}/graphql/", json={"query": "{ talks("}).json()
    assert legacy["data"] is None and legacy["errors"]  # application/json keeps `data: null`
