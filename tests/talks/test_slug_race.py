"""Two transactions racing for one slug: the database decides, the loser gets a problem."""

import threading

import pytest
from django.db import connection

from talks import services
from talks.models import Event
from talks.services import ApplicationError

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"
    ),
]


def race(monkeypatch, **create_arguments) -> list:
    """Run two event_create calls that both see the slug free before either inserts."""
    barrier = threading.Barrier(2, timeout=10)
    waited = threading.local()
    check = services._check_slug_free

    def check_then_wait(obj):
        found = check(obj)
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()
        return found

    monkeypatch.setattr(services, "_check_slug_free", check_then_wait)
    results: list = [None, None]

    def worker(index: int) -> None:
        try:
            results[index] = services.event_create(**create_arguments)
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_a_chosen_slug_goes_to_one_writer_and_the_other_hears_unique(monkeypatch):
    results = race(monkeypatch, name="DjangoCon Europe 2019", slug="djangocon-europe-2019")
    created = [r for r in results if isinstance(r, Event)]
    failed = [r for r in results if isinstance(r, ApplicationError)]
    assert len(created) == 1 and len(failed) == 1, results
    assert [(p.field, p.code) for p in failed[0].problems] == [("slug", "unique")]
    assert Event.objects.count() == 1


def test_a_derived_slug_is_retried_so_both_writers_succeed(monkeypatch):
    results = race(monkeypatch, name="DjangoCon Europe 2019")
    assert all(isinstance(r, Event) for r in results), results
    assert sorted(r.slug for r in results) == ["djangocon-europe-2019", "djangocon-europe-2019-2"]
