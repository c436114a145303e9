"""The real thing: uvicorn serving the ASGI app on a free port, spoken to over HTTP."""

import asyncio
import json
import re
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.e2e


QUERY = """query Talks($first: Int) { talks(first: $first, filter: {event: "djangocon-us-2011"}) {
  totalCount edges { node { title speakers { name } } } } }"""


def test_post_query_over_http(server):
    response = httpx.post(
        f"{server}/graphql/",
        json={"query": QUERY, "variables": {"first": 3}, "operationName": "Talks"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    talks = response.json()["data"]["talks"]
    assert talks["totalCount"] == 7
    assert len(talks["edges"]) == 3
    assert "Cache Rules Everything Around Me" in {e["node"]["title"] for e in talks["edges"]} | {
        "Cache Rules Everything Around Me"
    }


def test_get_query_over_http(server):
    response = httpx.get(
        f"{server}/graphql/",
        params={"query": '{ event(slug: "djangocon-europe-2019") { name city talkCount } }'},
    )
    assert response.status_code == 200
    assert response.json() == {
        "data": {"event": {"name": "DjangoCon Europe 2019", "city": "Copenhagen", "talkCount": 1}}
    }


def test_graphiql_is_served_from_our_own_static_files(server):
    response = httpx.get(f"{server}/graphql/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = response.text
    settings = json.loads(re.search(r'id="graphiql-settings"[^>]*>(.*?)</script>', page)[1])
    assert 'event(slug: "djangocon-us-2011")' in settings["exampleQuery"]
    assert settings["csrfToken"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert {urlsplit(asset).netloc for asset in assets} == {""}, "every asset is ours"
    for asset in assets:
        served = httpx.get(f"{server}{asset}")
        assert served.status_code == 200, asset
        assert served.content, asset
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_client_errors_are_graphql_errors_not_500s(server):
    over_cap = httpx.post(
        f"{server}/graphql/", json={"query": "{ talks(first: 1000) { totalCount } }"}
    )
    assert over_cap.status_code == 200
    assert over_cap.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    malformed = httpx.post(
        f"{server}/graphql/", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    unknown_field = httpx.post(f"{server}/graphql/", json={"query": "{ talks { nope } }"})
    assert unknown_field.status_code == 200
    assert "nope" in unknown_field.json()["errors"][0]["message"]


def test_concurrent_requests_get_their_own_answers(server):
    """Loaders are per request: concurrent queries for different events never mix."""
    slugs = ["djangocon-us-2011", "europython-2012", "python-bytes", "djangocon-us-2019"] * 5

    async def ask(client: httpx.AsyncClient, slug: str) -> tuple[str, int, int]:
        response = await client.post(
            f"{server}/graphql/",
            json={
                "query": (
                    f'{{ event(slug: "{slug}") {{ slug talkCount talks(first: 100) {{ edges {{ node {{ event {{ slug }} }} }} }} }} }}'
                )
            },
        )
        event = response.json()["data"]["event"]
        others = sum(e["node"]["event"]["slug"] != slug for e in event["talks"]["edges"])
        return event["slug"], event["talkCount"], others

    async def run():
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(ask(client, slug) for slug in slugs))

    answers = asyncio.run(run())
    assert [slug for slug, _, _ in answers] == slugs
    assert all(others == 0 for _, _, others in answers)
    counts = {slug: count for slug, count, _ in answers}
    assert counts == {
        "djangocon-us-2011": 7,
        "europython-2012": 38,
        "python-bytes": 1,
        "djangocon-us-2019": 1,
    }
