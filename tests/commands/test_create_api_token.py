"""`create_api_token` prints a secret once, stores only its hash, and revokes."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from talks.models import ApiToken
from talks.tokens import token_user

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_prints_a_working_secret_and_stores_only_its_hash():
    user = User.objects.create_user("ops", is_staff=True)
    secret, notice = run("ops", "--name", "ci", "--expires-in-days", "30")
    token = ApiToken.objects.get()
    assert secret not in {token.secret_hash, token.prefix} and secret.startswith(token.prefix)
    assert token.secret_hash == ApiToken.hash(secret)
    assert token.name == "ci" and token.expires_at is not None
    assert "Shown once" in notice
    assert token_user(secret) == user


def test_revoke_by_name():
    User.objects.create_user("ops", is_staff=True)
    run("ops", "--name", "keep")
    run("ops", "--name", "drop")
    output, _ = run("ops", "--name", "drop", "--revoke")
    assert output == "Revoked 1 token of ops."
    assert ApiToken.objects.get(name="drop").revoked_at is not None
    assert ApiToken.objects.get(name="keep").revoked_at is None


def test_unknown_user_and_bad_expiry_are_errors():
    with pytest.raises(CommandError, match="No user called 'ghost'"):
        run("ghost")
    User.objects.create_user("ops")
    with pytest.raises(CommandError, match="at least 1"):
        run("ops", "--expires-in-days", "0")


def test_warns_when_the_user_cannot_mutate():
    User.objects.create_user("reader")
    _, notice = run("reader")
    assert "not an active staff user" in notice
