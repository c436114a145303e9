"""A real uvicorn process serving the test database on a free port."""

import io
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_database_url() -> str:
    """DATABASE_URL of the database this test run created, for the server process."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or 'localhost'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


test_database_url.__test__ = False  # a helper, not a test


def wait_until_serving(process: subprocess.Popen, url: str, seconds: float) -> None:
    """Wait for `process` to answer `url`; fail the test (with its output) if it exits or
    does not answer in time."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"nothing answered {url}:\n{output}")
            time.sleep(0.05)


@contextmanager
def gunicorn_server(workers: int, **env: str):
    """The image's server, gunicorn with `workers` uvicorn workers, on the test database;
    yields its base URL, and stops it with SIGTERM as a container runtime does."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "SECRET_KEY": "e2e-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "REDIS_URL": "",
        **env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    command = ["gunicorn", "project.asgi:application", "--worker-class",
               "uvicorn_worker.UvicornWorker", "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning"]  # fmt: skip
    server = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, f"{base}/healthz", seconds=60)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session", autouse=True)
def static_root(tmp_path_factory):
    """The static files collected as a release collects them (the Dockerfile's
    `collectstatic`), for the servers below, which run with DEBUG off."""
    root = tmp_path_factory.mktemp("static")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env={**os.environ, "STATIC_ROOT": str(root)},
        check=True,
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STATIC_ROOT", str(root))
        yield root


@contextmanager
def running_server(database_url: str, output: Path | None = None, **env: str):
    """A uvicorn process on `database_url`; yields its base URL. Its output (the logs)
    goes to the file `output` if one is given."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "e2e-secret",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "REDIS_URL": "",  # each server on its own unless a test shares one Redis
        **env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests' need, not the server's
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "project.asgi:application",
            "--lifespan",
            "off",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE if output is None else output.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(process, f"{base}/healthz", seconds=30)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def server(transactional_db):
    """A uvicorn process on the test database, which holds the committed demo catalogue."""
    call_command("load_demo", stdout=io.StringIO())
    with running_server(test_database_url()) as base:
        yield base
