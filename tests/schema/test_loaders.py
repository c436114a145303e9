"""The DataLoader: one fetch per turn of the event loop, values kept, errors kept."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from schema import loaders
from schema.loaders import MISSING, DataLoader, Trips, loaded


def recording(fail: set | None = None):
    calls: list[list] = []

    def fetch(keys: list) -> dict:
        calls.append(list(keys))
        if fail and fail & set(keys):
            raise ValueError(f"cannot load {sorted(fail & set(keys))}")
        return {key: key * 10 for key in keys if key != 0}

    return DataLoader(fetch, default=lambda: "none"), calls


def run(coroutine):
    return asyncio.run(coroutine)


def test_loads_asked_for_together_are_one_fetch():
    loader, calls = recording()

    async def main():
        return await asyncio.gather(*(loader.load(key) for key in (1, 2, 1, 0)))

    assert run(main()) == [10, 20, 10, "none"]
    assert calls == [[1, 2, 0]]


def test_loaded_values_are_read_without_a_fetch():
    loader, calls = recording()

    async def main():
        await loader.load(3)
        assert loader.request([3]) is None
        assert loaded(loader, 3) == 30
        assert loader.values.get(4, MISSING) is MISSING
        return await loaded(loader, 4)

    assert run(main()) == 40
    assert calls == [[3], [4]]


def test_a_key_asked_for_while_its_batch_runs_joins_it():
    loader, calls = recording()

    async def main():
        first = asyncio.ensure_future(loader.load(5))
        await asyncio.sleep(0)
        await asyncio.sleep(0)  # the batch has started
        second = loader.load(5)
        return await first, await second

    assert run(main()) == (50, 50)
    assert calls == [[5]]


def test_a_failed_fetch_fails_each_of_its_keys_and_is_not_retried():
    loader, calls = recording(fail={7})

    async def main():
        wait = loader.request([7, 8])
        await wait  # waiting never raises; the keys do
        for key in (7, 8):
            with pytest.raises(ValueError, match=r"cannot load \[7\]"):
                await loader.load(key)

    run(main())
    assert calls == [[7, 8]]


def test_prime_keeps_what_is_loaded():
    loader, calls = recording()

    async def main():
        loader.prime(1, "primed")
        await loader.load(2)
        loader.prime(2, "late")
        return await loader.load(1), await loader.load(2)

    assert run(main()) == ("primed", 20)
    assert calls == [[2]]


def test_loaders_of_one_request_share_a_trip_and_fail_alone(monkeypatch):
    trips_taken = []
    monkeypatch.setattr(
        loaders, "sync_to_async", lambda f: trips_taken.append(f) or sync_to_async(f)
    )
    trips = Trips()

    def fetch_with(result):
        def fetch(keys):
            if isinstance(result, Exception):
                raise result
            return dict.fromkeys(keys, result)

        return fetch

    speakers = DataLoader(fetch_with("speaker"), lambda: None, trips)
    topics = DataLoader(fetch_with(ValueError("topics are down")), lambda: None, trips)

    async def main():
        return await asyncio.gather(speakers.load(1), topics.load(1), return_exceptions=True)

    found, failed = run(main())
    assert found == "speaker"
    assert isinstance(failed, ValueError)
    assert len(trips_taken) == 1  # both batches went to the worker thread together


def test_a_batch_that_cannot_finish_fails_its_keys_instead_of_hanging():
    loader = DataLoader(lambda keys: {}, default=lambda: 1 / 0)  # a broken default

    async def main():
        with pytest.raises(ZeroDivisionError):
            await asyncio.wait_for(loader.load(1), timeout=5)

    run(main())
