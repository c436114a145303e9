"""Production settings: what `manage.py` says with the environment an operator sets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "SECRET_KEY": "k3y-" + "x9Qz7!p" * 10,
    "ALLOWED_HOSTS": "talks.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://talks.example.org",
    "CORS_ALLOWED_ORIGINS": "https://app.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_in_debug_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION, DEBUG="1")
    assert result.returncode != 0
    assert "DEBUG" in result.stdout + result.stderr


def test_a_missing_secret_key_stops_start_up_with_a_clear_message():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.django_db
def test_cors_allows_configured_frontends_only(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.org"]
    client = Client()
    preflight = client.options(
        "/graphql/",
        headers={
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.org"
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    stranger = client.post(
        "/graphql/",
        '{"query": "{ __typename }"}',
        content_type="application/json",
        headers={"Origin": "https://evil.example.com"},
    )
    assert "access-control-allow-origin" not in stranger.headers


REPLICAS_OF = (
    "from django.conf import settings; print(settings.DATABASE_REPLICAS);"
    " print(settings.DATABASES.get('replica-2', {}).get('HOST'),"
    " settings.DATABASES.get('replica-2', {}).get('TEST', {}).get('MIRROR'),"
    " settings.DATABASE_ROUTERS)"
)


def test_replica_urls_add_read_replicas_to_postgres_only():
    urls = "postgres://app@replica-a:5432/talks,postgres://app@replica-b:5432/talks"
    on_postgres = manage(
        "shell", "--no-imports", "-c", REPLICAS_OF, DEBUG="1",
        DATABASE_URL="postgres://app@primary:5432/talks", DATABASE_REPLICA_URLS=urls,
    )  # fmt: skip
    assert on_postgres.returncode == 0, on_postgres.stderr
    assert on_postgres.stdout.splitlines() == [
        "['replica-1', 'replica-2']",
        "replica-b default ['edge.replicas.ReplicaRouter']",
    ]
    on_sqlite = manage(
        "shell", "--no-imports", "-c", REPLICAS_OF, DEBUG="1",
        DATABASE_URL="sqlite:///x.sqlite3", DATABASE_REPLICA_URLS=urls,
    )  # fmt: skip
    assert on_sqlite.stdout.splitlines() == ["[]", "None None []"]


POOL_OF = (
    "from django.conf import settings; d = settings.DATABASES;"
    "print(d['default']['ENGINE'], d['default'].get('POOL_OPTIONS'));"
    "print(d.get('replica-1', {}).get('ENGINE'))"
)


def test_postgres_connections_are_pooled_unless_the_pool_size_is_zero():
    env = {
        "DEBUG": "1",
        "DATABASE_URL": "postgres://app@primary:5432/talks",
        "DATABASE_REPLICA_URLS": "postgres://app@replica:5432/talks",
    }
    pooled = manage("shell", "--no-imports", "-c", POOL_OF, **env, DATABASE_POOL_SIZE="4")
    assert pooled.returncode == 0, pooled.stderr
    options = {"POOL_SIZE": 4, "MAX_OVERFLOW": 0, "TIMEOUT": 5.0, "RECYCLE": 900, "PRE_PING": True}
    assert pooled.stdout.splitlines() == [
        f"project.pooled_postgresql {options}",
        "project.pooled_postgresql",
    ]
    unpooled = manage("shell", "--no-imports", "-c", POOL_OF, **env, DATABASE_POOL_SIZE="0")
    assert unpooled.stdout.splitlines() == [
        "django.db.backends.postgresql None",
        "django.db.backends.postgresql",
    ]
    on_sqlite = manage(
        "shell", "--no-imports", "-c", POOL_OF, DEBUG="1", DATABASE_URL="sqlite:///x.sqlite3"
    )
    assert on_sqlite.stdout.splitlines()[0] == "django.db.backends.sqlite3 None"
