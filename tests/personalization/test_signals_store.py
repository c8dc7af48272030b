"""Signal store backends: memory always, Redis whenever REDIS_URL is set (and must be reachable)."""

import asyncio
import concurrent.futures
import logging
import time

import pytest
import redis

from personalization.signals import selectors
from personalization.signals.backends.base import BaseSignalStore, SignalStoreError
from personalization.signals.backends.memory import MemorySignalStore
from personalization.signals.backends.redis import KEY_PREFIX, RedisSignalStore
from personalization.signals.store import signal_store
from personalization.signals.windows import HARD_MAX_SECONDS, SignalEvent, retention_policy

BACKENDS = {
    "memory": "personalization.signals.backends.memory.MemorySignalStore",
    "redis": "personalization.signals.backends.redis.RedisSignalStore",
}


@pytest.fixture(params=sorted(BACKENDS))
def store(request, settings) -> BaseSignalStore:
    if request.param == "redis" and not settings.REDIS_URL:
        pytest.skip("embedded mode: REDIS_URL is not set, so there is no Redis to test against")
    settings.TACTFUL = {**settings.TACTFUL, "SIGNAL_STORE": BACKENDS[request.param]}
    return signal_store()


@pytest.fixture
def subject_id() -> str:
    # A fresh id per test: the stores are process-wide (memory) or shared (Redis).
    import secrets

    return secrets.token_urlsafe(16)


def view(category: str = "shoes", seconds_ago: float = 0.0) -> SignalEvent:
    return SignalEvent(
        type="product_view", properties={"category": category}, ts=time.time() - seconds_ago
    )


def test_store__record_then_read__events_oldest_first_and_attributes(store, subject_id):
    # Given three events recorded in two batches
    store.record(subject_id, [view(seconds_ago=20), view("bags", seconds_ago=30)])
    store.record(subject_id, [view(seconds_ago=10)])
    # When the window is read
    window = store.window(subject_id)
    attributes = store.attributes(subject_id)
    # Then it holds all three, oldest first, and the derived counts
    assert [e.properties["category"] for e in window.events] == ["bags", "shoes", "shoes"]
    assert attributes["product_view"]["count_5m"] == 3
    assert attributes["product_view"]["category"]["shoes"]["count_30m"] == 2


def test_store__two_subjects__windows_are_separate(store, subject_id):
    # Given events of one subject
    store.record(subject_id, [view()])
    # When another subject is read
    # Then it has nothing
    assert store.window(subject_id + "x").events == ()


def test_store__delete__forgets_the_subject_and_counts(store, subject_id):
    # Given two events
    store.record(subject_id, [view(), view()])
    # When deleted
    deleted = store.delete(subject_id)
    # Then both are gone, and a second delete finds nothing
    assert deleted == 2
    assert store.window(subject_id).events == ()
    assert store.delete(subject_id) == 0


def test_store__event_older_than_horizon__trimmed_on_write(store, subject_id):
    # Given an event that left the horizon and a fresh one, written together
    horizon = retention_policy().horizon
    store.record(subject_id, [view(seconds_ago=horizon + 5), view()])
    # Then only the fresh one is kept
    assert len(store.window(subject_id).events) == 1


def test_store__more_than_max_events__keeps_the_newest(store, subject_id, settings):
    # Given a cap of 3 events per subject
    settings.TACTFUL = {**settings.TACTFUL, "SIGNAL_MAX_EVENTS": 3}
    # When 5 are recorded
    store.record(subject_id, [view(str(n), seconds_ago=10 - n) for n in range(5)])
    # Then the 3 newest remain
    assert [e.properties["category"] for e in store.window(subject_id).events] == ["2", "3", "4"]


def test_store__export__summary_without_raw_events(store, subject_id):
    # Given two events
    store.record(subject_id, [view(), view("bags")])
    # When exported
    exported = store.export(subject_id)
    # Then the attributes and extent are there, and no event
    assert exported["events_retained"] == 2
    assert exported["attributes"]["product_view"]["category"]["bags"]["count_5m"] == 1
    assert "events" not in exported


def test_store__async_twins__record_read_delete(store, subject_id):
    # When the async methods are used, as the consumer does
    async def twins():
        await store.arecord(subject_id, [view()])
        window = await store.awindow(subject_id)
        deleted = await store.adelete(subject_id)
        return window, deleted, await store.awindow(subject_id)

    # (on a loop of its own: the browser tests leave Playwright's loop running in this thread)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        window, deleted, after = pool.submit(asyncio.run, twins()).result()
    # Then they behave as the sync ones
    assert len(window.events) == 1
    assert deleted == 1
    assert after.events == ()


def test_redis_store__write__ttl_is_the_linger_and_at_most_24_hours(settings, subject_id):
    # Given the Redis store
    if not settings.REDIS_URL:
        pytest.skip("embedded mode: REDIS_URL is not set, so there is no Redis to test against")
    store = RedisSignalStore()
    # When an event is recorded
    store.record(subject_id, [view()])
    # Then the subject's key expires by itself within the linger, never beyond 24 hours
    ttl = redis.Redis.from_url(settings.REDIS_URL).ttl(KEY_PREFIX + subject_id)
    assert 0 < ttl <= retention_policy().linger <= HARD_MAX_SECONDS


def test_redis_store__read__one_round_trip(settings, subject_id, monkeypatch):
    # Given the Redis store with a recorded event
    if not settings.REDIS_URL:
        pytest.skip("embedded mode: REDIS_URL is not set, so there is no Redis to test against")
    store = RedisSignalStore()
    store.record(subject_id, [view()])
    commands: list[object] = []
    original = redis.Redis.execute_command

    def counting(self, *args, **options):
        commands.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    # When a decision reads the attributes
    attributes = store.attributes(subject_id)
    # Then exactly one command went to Redis
    assert attributes["product_view"]["count_5m"] == 1
    assert commands == ["ZRANGE"]


def test_redis_store__unreachable__raises_store_error(settings, subject_id):
    # Given a Redis store pointing at a port nobody listens on
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    store = RedisSignalStore()
    # When / Then reads and writes raise the store's own error
    with pytest.raises(SignalStoreError):
        store.window(subject_id)
    with pytest.raises(SignalStoreError):
        store.record(subject_id, [view()])


def test_memory_store__idle_past_linger__entry_expires(monkeypatch, subject_id):
    # Given an event recorded now
    store = MemorySignalStore()
    store.record(subject_id, [view()])
    later = time.time() + retention_policy().linger + 1
    # When the linger has passed with no write
    monkeypatch.setattr("personalization.signals.backends.memory.time.time", lambda: later)
    # Then the subject's events are gone
    assert store.window(subject_id).events == ()
    assert store.delete(subject_id) == 0


def test_signals_attributes_get__store_fails__empty_and_logged(monkeypatch, caplog, subject_id):
    # Given a store that cannot be reached
    class Down(MemorySignalStore):
        def window(self, subject_id):
            raise SignalStoreError("down")

    monkeypatch.setattr(selectors, "signal_store", Down)
    # When a decision asks for signals
    with caplog.at_level(logging.WARNING):
        attributes = selectors.signals_attributes_get(subject_id=subject_id)
    # Then it gets none, and the failure is logged
    assert attributes == {}
    assert "Signal store unavailable" in caplog.text


def test_signal_store__setting__picks_the_backend(settings):
    # Given the memory backend configured
    settings.TACTFUL = {**settings.TACTFUL, "SIGNAL_STORE": BACKENDS["memory"]}
    # Then that is the store, the same instance each time
    assert isinstance(signal_store(), MemorySignalStore)
    assert signal_store() is signal_store()


def test_signal_store__default__redis_exactly_when_redis_url_is_set(settings):
    # Then the default follows the environment
    expected = "RedisSignalStore" if settings.REDIS_URL else "MemorySignalStore"
    assert settings.TACTFUL["SIGNAL_STORE"].endswith(expected)
