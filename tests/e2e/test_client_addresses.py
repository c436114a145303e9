"""A client's address (its rate-limit bucket) comes from X-Forwarded-For only when the
proxy that sent it is trusted; the deployment trusts the one proxy it runs behind."""

import re

import httpx
import pytest
import yaml

from tests.e2e.conftest import ROOT, running_server, test_database_url

pytestmark = pytest.mark.e2e

QUERY = {"query": "{ talks(first: 5) { totalCount } }"}


def remaining(base: str, forwarded_for: str) -> int:
    answer = httpx.post(f"{base}/graphql/", json=QUERY, headers={"X-Forwarded-For": forwarded_for})
    assert answer.status_code == 200
    return int(answer.headers["RateLimit-Remaining"])


@pytest.mark.parametrize("trusted", [True, False])
def test_x_forwarded_for_picks_the_bucket_only_from_a_trusted_proxy(transactional_db, trusted):
    proxy = "127.0.0.1" if trusted else "10.9.9.9"  # the test client is 127.0.0.1
    with running_server(
        test_database_url(), FORWARDED_ALLOW_IPS=proxy, GRAPHQL_RATE_LIMIT_ANONYMOUS="60"
    ) as base:
        remaining(base, "198.51.100.7")  # the document parsed once, by someone else
        first = remaining(base, "203.0.113.1")
        second = remaining(base, "203.0.113.2")
    if trusted:  # two clients behind the proxy: two full buckets
        assert first == second
    else:  # one client naming itself twice: one bucket, spent twice
        assert second < first


def test_the_stack_trusts_its_proxy_and_nothing_else():
    stack = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    app, proxy = stack["app"], stack["proxy"]
    address = proxy["networks"]["edge"]["ipv4_address"]
    assert app["environment"]["FORWARDED_ALLOW_IPS"] == address
    assert "ports" not in app, "only the proxy may reach the app"
    assert "*" not in str([service.get("environment") for service in stack.values()])
    nginx = (ROOT / "docker" / "nginx.conf").read_text()
    # The proxy replaces the header with the address it saw, never appends a client's.
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", nginx)
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    assert '--forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"' in entrypoint
    assert "FORWARDED_ALLOW_IPS" not in (ROOT / "Dockerfile").read_text()
