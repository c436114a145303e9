"""The production entrypoint as the image runs it: `migrate`, then `web` (gunicorn with
uvicorn workers) behind PgBouncer in transaction mode, configured from
docker/pgbouncer.ini, in front of the local PostgreSQL."""

import io
import os
import subprocess
import time

import httpx
import pytest
from django.core.management import call_command
from django.db import connection

from tests.e2e.conftest import ROOT, free_port, test_database_url
from tests.e2e.pgbouncer import BINARY, PgBouncer

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.skipif(BINARY is None, reason="needs pgbouncer (Debian package)"),
]


@pytest.fixture
def pgbouncer(transactional_db):
    """PgBouncer with the repository's settings, pointed at the test database."""
    bouncer = PgBouncer(test_database_url())
    assert bouncer.pool_mode == "transaction"
    yield bouncer.url
    bouncer.close()


def entrypoint(*args: str, env: dict, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [str(ROOT / "docker" / "entrypoint.sh"), *args], cwd=ROOT, env=env, **popen
    )


def test_entrypoint_serves_through_pgbouncer(pgbouncer, staff_user, tmp_path):
    from talks.tokens import token_create

    _, secret = token_create(user=staff_user, name="deploy")
    call_command("load_demo", stdout=io.StringIO())
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": pgbouncer,
        "DISABLE_SERVER_SIDE_CURSORS": "1",
        "DATABASE_STATEMENT_TIMEOUT_MS": "0",
        "SECRET_KEY": "deployment-test-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "STATIC_ROOT": str(tmp_path / "static"),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    # As the image build does, then the release step, then the servers.
    collect = entrypoint("python", "manage.py", "collectstatic", "--no-input", "-v0", env=env)
    assert collect.wait(timeout=120) == 0
    migrate = entrypoint("migrate", env=env)
    assert migrate.wait(timeout=120) == 0

    server = entrypoint("web", env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "web did not start"
            time.sleep(0.2)

        # Many requests, so both workers and several pooled server connections serve.
        for _ in range(20):
            response = httpx.post(
                f"{base}/graphql/",
                json={"query": '{ event(slug: "djangocon-us-2011") { talkCount } }'},
            )
            assert response.json() == {"data": {"event": {"talkCount": 7}}}
        created = httpx.post(
            f"{base}/graphql/",
            json={
                "query": 'mutation { createTopic(input: {name: "Pooling"}) { ... on Topic { slug } } }'
            },
            headers={"Authorization": f"Bearer {secret}"},
        ).json()
        assert created == {"data": {"createTopic": {"slug": "pooling"}}}
        found = httpx.post(
            f"{base}/graphql/", json={"query": '{ topic(slug: "pooling") { name } }'}
        ).json()
        assert found == {"data": {"topic": {"name": "Pooling"}}}
        admin_css = httpx.get(f"{base}/static/admin/css/base.css")
        assert admin_css.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
