"""The importer's quick yes (`talks.fast_validation`) against the stock answer
(`services.validation_problems`, Django's `full_clean`): the same verdict for every value
tried on every field, for real and generated records, and never a URL passed that
Django's URLValidator refuses."""

import contextlib
import datetime
import json
import random
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from talks.fast_validation import passes, sure_url
from talks.generator import generate
from talks.records import MODELS, column_values
from talks.schedule_records import part_values
from talks.services import validation_problems

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "pyvideo-sample.jsonl"
NOW = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
VALID = {  # a row of each model that passes
    "event": {"slug": "pycon", "name": "PyCon", "starts_on": datetime.date(2024, 5, 1)},
    "speaker": {"slug": "ada", "name": "Ada Lovelace"},
    "topic": {"slug": "python", "name": "Python"},
    "room": {"slug": "hall-a", "name": "Hall A", "event_id": 1},
    "track": {"slug": "web", "name": "Web", "event_id": 1},
    "talk": {
        "slug": "a-talk",
        "title": "A talk",
        "event_id": 1,
        "recorded_on": datetime.date(2024, 5, 2),
        "duration_minutes": 30,
        "video_url": "https://www.youtube.com/watch?v=abc",
    },
}
TRIED = [
    None,
    "",
    " ",
    "x",
    "python",
    "talk",
    "keynote",
    "beginner",
    "en",
    "pt-BR",
    "Europe/Berlin",
    "#ff0000",
    "red",
    "a" * 19,
    "a" * 20,
    "a" * 21,
    "a" * 200,
    "a" * 201,
    "a" * 500,
    "a" * 501,
    "b" * 2100,
    "with\x00nul",
    "lone \ud800 surrogate",
    "ünïcödé",
    "not a slug!",
    0,
    1,
    -1,
    30,
    2**31,
    2**63,
    True,
    1.5,
    "12",
    datetime.date(2024, 5, 1),
    datetime.date(1900, 1, 1),
    datetime.datetime(2024, 5, 1, 10),
    NOW,
    "2024-05-01",
    "https://example.com",
    "https://example.com/a?b=c#d",
    "http://localhost:8000/x",
    "ftp://example.org/file",
    "https://-bad-.com",
    "https://exa mple.com",
    "example.com",
    "https://例え.jp/パス",
    "https://[::1]/",
    "https://user:pw@example.com/",
    "HTTPS://EXAMPLE.COM",
]


def _row(kind: str, /, **changes) -> models.Model:
    model = MODELS[kind]
    obj = model(**{**VALID[kind], **changes})
    obj.created_at = obj.updated_at = NOW
    return obj


def _same_verdict(obj: models.Model) -> None:
    try:
        stock = validation_problems(obj)
    except (TypeError, ValueError):  # Django cannot read the value: no quick yes either
        with contextlib.suppress(TypeError, ValueError):
            assert not passes(obj)
        return
    assert passes(obj) == (stock == []), (obj.__dict__, stock)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_every_value_tried_on_every_field_gets_the_stock_verdict(kind):
    _same_verdict(_row(kind))
    assert passes(_row(kind))
    for field in MODELS[kind]._meta.concrete_fields:
        if field.is_relation or field.primary_key:
            continue
        choices = [key for key, _ in field.flatchoices] if field.choices else []
        for value in [*TRIED, *choices]:
            _same_verdict(_row(kind, **{field.attname: value}))


def test_a_model_rule_across_fields_gets_the_stock_verdict():
    _same_verdict(_row("event", ends_on=datetime.date(2024, 4, 30)))  # ends before it starts
    _same_verdict(_row("event", ends_on=datetime.date(2024, 5, 3)))


def _records():
    with SAMPLE.open() as lines:
        yield from (json.loads(line) for line in lines if line.strip())
    yield from generate(400, seed=3)


def test_real_and_generated_records_get_the_stock_verdict():
    tried = 0
    for record in _records():
        kind = record["type"]
        if kind not in MODELS:
            continue
        values = part_values(kind, record) if kind in ("room", "track") else None
        try:
            values = values if values is not None else column_values(kind, record)
        except Exception:  # the record is refused before any row is checked
            continue
        identity = {"event_id": 1} if kind in ("room", "track", "talk") else {}
        obj = MODELS[kind](slug=record.get("slug") or "", **identity, **values)
        obj.created_at = obj.updated_at = NOW
        _same_verdict(obj)
        tried += 1
    assert tried > 1000


def _url_like(rng: random.Random) -> str:
    """A URL, often nearly right: each part (scheme, host labels, top-level domain, what
    follows the host, path) usually a good one, sometimes one of the bad."""

    def part(good: list[str], bad: list[str]) -> str:
        return rng.choice(good if rng.random() < 0.8 else bad)

    scheme = part(["http://", "https://"], ["ftp://", "HTTP://", "https:/", "", "https://://"])
    good_labels = ["a", "www", "x-y", "0", "a" * 63, "A1"]
    bad_labels = ["-a", "a-", "é", "例", "a_b", "b" * 64, "", "a b"]
    labels = [part(good_labels, bad_labels) for _ in range(rng.choice([1, 2, 3, 3, 130]))]
    top = part(["com", "org", "museum", "z" * 63], ["c", "xn--p1ai", "co1", "", "z" * 64, "-co"])
    after = part(["", ""], [".", ":80", "@x.com", "[::1]", ":", "\n"])
    pieces = ["a", "/", "?", "#", "=", "&", "%20", "~", "@", "[", "]", "\\", " ", "\t", "é"]
    path = part(["", "/"], ["?", "#", " ", "a", "\\"]) + "".join(
        rng.choice(pieces) for _ in range(rng.randint(0, 6))
    )
    return scheme + ".".join([*labels, top]) + after + path


def test_a_url_taken_for_sure_is_one_urlvalidator_accepts():
    validator = URLValidator()
    rng = random.Random(34)
    sure = 0
    for _ in range(30_000):
        url = _url_like(rng)
        if sure_url(url, validator.max_length):
            sure += 1
            try:
                validator(url)
            except ValidationError:
                pytest.fail(f"taken for sure, refused by Django: {url!r}")
    assert sure > 1000  # the fuzz reaches the quick path often enough to mean something
