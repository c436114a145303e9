"""The benchmark's five operations must not cost more SQL than the hand-written baseline.

A cheap guard for what `bench/benchmark.py` measures: each operation runs at the
benchmark's two page sizes on a small generated catalogue, through the full request
stack (once before, as a visitor before them would), and must run the same number of
statements at both sizes and no more than the baseline views do (their counts, printed
by the benchmark, are below).
"""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.benchmark import DEFAULT_SIZES, OPERATIONS, SMALL_SIZES
from talks.models import Event, Talk

# Q4's search looks up its words' spelling the first time only, on both sides (the
# baseline runs the API's search selectors; `talks.vocabulary` remembers corrections).
BASELINE_STATEMENTS = {"Q1": 4, "Q2": 5, "Q3": 3, "Q4": 3, "Q5": 3}


@pytest.fixture
def generated(db, tmp_path):
    path = tmp_path / "catalogue.jsonl.gz"
    call_command(
        "generate_catalogue", "--talks", "400", "--seed", "3", str(path), stdout=io.StringIO()
    )
    call_command("import_catalogue", str(path), "--quiet", stdout=io.StringIO())
    event = Event.objects.annotate(n=Count("talks")).order_by("-n", "id").first()
    talk = Talk.objects.annotate(n=Count("speakers")).order_by("-n", "id").first()
    return {"slug": event.slug, "talk": talk.slug}


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_statements_per_operation(generated, name):
    query = OPERATIONS[name][0]
    client, counts = Client(), []
    variables = {**generated, "n": SMALL_SIZES[name]}
    client.post("/graphql/", {"query": query, "variables": variables}, "application/json")
    for size in (SMALL_SIZES[name], DEFAULT_SIZES[name]):
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                "/graphql/",
                json.dumps({"query": query, "variables": {**generated, "n": size}}),
                content_type="application/json",
            )
        body = response.json()
        assert "errors" not in body, body["errors"]
        assert '"title"' in response.content.decode(), "the operation found nothing to count"
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], f"{name}: {counts[0]} statements at the small size, {counts[1]}"
    assert counts[1] <= BASELINE_STATEMENTS[name], (
        f"{name} runs {counts[1]} statements; the baseline runs {BASELINE_STATEMENTS[name]}"
    )
