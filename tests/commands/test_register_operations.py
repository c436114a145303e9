"""`register_operations`: Apollo's and Relay's manifests, checked, all or nothing."""

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from talks.models import PersistedOperation

pytestmark = pytest.mark.django_db

TALKS = "query Talks { talks(first: 5) { edges { node { title } } } }"
TOPICS = "query Topics { topics { totalCount } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def register(tmp_path, manifest, *options) -> str:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    out = io.StringIO()
    call_command("register_operations", str(path), *options, stdout=out)
    return out.getvalue()


def test_an_apollo_manifest_is_registered_with_names(tmp_path):
    manifest = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": sha256(TALKS), "name": "Talks", "type": "query", "body": TALKS},
            {"id": sha256(TOPICS), "name": "Topics", "type": "query", "body": TOPICS},
        ],
    }
    assert register(tmp_path, manifest) == "2 new, 0 already registered, 0 removed\n"
    assert dict(PersistedOperation.objects.values_list("name", "sha256")) == {
        "Talks": sha256(TALKS),
        "Topics": sha256(TOPICS),
    }
    assert register(tmp_path, manifest) == "0 new, 2 already registered, 0 removed\n"


def test_a_relay_style_manifest_and_pruning(tmp_path):
    register(tmp_path, {sha256(TALKS): TALKS, sha256(TOPICS): TOPICS})
    out = register(tmp_path, {sha256(TALKS): TALKS}, "--prune")
    assert out == "0 new, 1 already registered, 1 removed\n"
    assert list(PersistedOperation.objects.values_list("name", flat=True)) == ["Talks"]


@pytest.mark.parametrize(
    "manifest, problem",
    [
        ({sha256(TOPICS): TALKS}, "not the SHA-256 of its query"),
        ({sha256("{ talks("): "{ talks("}, "Syntax Error"),
        ({sha256("{ nope }"): "{ nope }"}, "Cannot query field 'nope'"),
        ([TALKS], "a JSON object of sha256 hash to query text"),
    ],
)
def test_a_bad_manifest_registers_nothing(tmp_path, manifest, problem):
    good = {sha256(TALKS): TALKS}
    if isinstance(manifest, dict):
        manifest = {**good, **manifest}
    with pytest.raises(CommandError, match=problem):
        register(tmp_path, manifest)
    assert not PersistedOperation.objects.exists()
