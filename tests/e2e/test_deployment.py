"""The production entrypoint as the image runs it: `migrate`, then `web` (gunicorn with
uvicorn workers) behind PgBouncer in transaction mode, configured from
docker/pgbouncer.ini, in front of the local PostgreSQL."""

import configparser
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.db import connection

from tests.e2e.conftest import ROOT, free_port, test_database_url

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None
)
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.skipif(PGBOUNCER is None, reason="needs pgbouncer (Debian package)"),
]


@pytest.fixture
def pgbouncer(transactional_db):
    """PgBouncer with the repository's settings, pointed at the test database."""
    settings = connection.settings_dict
    # PgBouncer refuses to run as root; as root, it runs as the `postgres` user (-u),
    # which must be able to read its files and write its log.
    tmp_path = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(tmp_path, "postgres")
    config = configparser.ConfigParser()
    config.read(ROOT / "docker" / "pgbouncer.ini")
    port = free_port()
    config["databases"] = {
        settings["NAME"]: f"host={settings['HOST'] or '127.0.0.1'} "
        f"port={settings['PORT'] or 5432} dbname={settings['NAME']}"
    }
    config["pgbouncer"].update(
        listen_addr="127.0.0.1",
        listen_port=str(port),
        auth_type="trust",
        auth_file=str(tmp_path / "users.txt"),
        unix_socket_dir="",
        logfile=str(tmp_path / "pgbouncer.log"),
        pidfile=str(tmp_path / "pgbouncer.pid"),
    )
    (tmp_path / "users.txt").write_text(f'"{settings["USER"]}" ""\n')
    with open(tmp_path / "pgbouncer.ini", "w") as file:
        config.write(file)
    process = subprocess.Popen([PGBOUNCER, *as_user, str(tmp_path / "pgbouncer.ini")])
    deadline = time.monotonic() + 10
    while not _listening(port):
        assert process.poll() is None, (tmp_path / "pgbouncer.log").read_text()
        assert time.monotonic() < deadline, "pgbouncer did not start"
        time.sleep(0.1)
    assert config["pgbouncer"]["pool_mode"] == "transaction"
    yield test_database_url().replace(f":{settings['PORT'] or 5432}/", f":{port}/")
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(tmp_path, ignore_errors=True)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


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
