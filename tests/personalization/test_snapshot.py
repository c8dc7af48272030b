"""The per-process snapshot: one thread checks the revision while the others keep deciding; only a
process with no snapshot at all waits for it, and not for long."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from personalization import snapshot
from personalization.models import Revision
from personalization.snapshot import _holder, snapshot_activate, snapshot_current

pytestmark = pytest.mark.django_db

# Generous bounds on joins and event waits: they only end a test that already failed (a thread
# held where it must not be); a passing run never waits for them.
STUCK_SECONDS = 10.0


def document(revision: int) -> dict[str, Any]:
    return {"revision": revision, "segments": {}, "experiments": {}, "placements": {}}


def published(revision: int) -> None:
    Revision.objects.create(number=revision, snapshot=document(revision))


class SlowCache:
    """The revision cache of a process whose backing store is slow: its first `get` runs
    `during` (in the thread that reads it) before it answers `latest`; it counts every `get`."""

    def __init__(self, latest: int, during: Callable[[], None]) -> None:
        self.latest = latest
        self.during = during
        self.gets = 0

    def get(self, key: str, default: Any = None) -> Any:
        self.gets += 1
        if self.gets == 1:
            self.during()
        return self.latest

    def set(self, *args: Any, **kwargs: Any) -> None:
        return None


def in_threads(count: int, target: Callable[[], int]) -> tuple[list[int], list[threading.Thread]]:
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(target())) for _ in range(count)]
    for thread in threads:
        thread.start()
    return results, threads


def still_running(threads: list[threading.Thread]) -> bool:
    """Join `threads`; whether any is still held after STUCK_SECONDS in all."""
    deadline = time.monotonic() + STUCK_SECONDS
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0.0))
    return any(thread.is_alive() for thread in threads)


def revision_now() -> int:
    return snapshot_current().revision


def test_snapshot_current__check_slower_than_its_period__others_serve_the_current(
    monkeypatch, settings
):
    # Given a process deciding from r1, due for a check, while r2 is published; and a store so
    # slow that the next check falls due before this one ends
    settings.TACTFUL = {**settings.TACTFUL, "REVISION_CHECK_SECONDS": 0.0}
    snapshot_activate(document(1))
    published(1)
    published(2)
    _holder.next_check = 0.0
    served: list[int] = []
    stuck: list[bool] = []

    def while_reading() -> None:
        # Meanwhile, four more requests of this process want the snapshot
        results, threads = in_threads(4, revision_now)
        stuck.append(still_running(threads))
        served.extend(results)

    cache = SlowCache(latest=2, during=while_reading)
    monkeypatch.setattr(snapshot, "cache", cache)
    # When one request checks the revision, slowly
    checked = snapshot_current()
    # Then the others were not held: each decided from r1 at once, and only one read the cache
    assert stuck == [False]
    assert served == [1, 1, 1, 1]
    assert cache.gets == 1
    # And the checking request swapped to r2, for everyone
    assert checked.revision == 2
    assert _holder.snapshot is checked


class WatchedLock:
    """`_holder.refreshing`, telling the test when a thread starts waiting for it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting = threading.Event()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self.lock.acquire(blocking=False):
            return True
        if not blocking:
            return False
        self.waiting.set()
        return self.lock.acquire(timeout=timeout)

    def release(self) -> None:
        self.lock.release()


def test_snapshot_current__no_snapshot_yet__waits_for_the_first_load(monkeypatch):
    # Given a process that has no snapshot, whose first load is slow
    published(3)
    lock = WatchedLock()
    monkeypatch.setattr(_holder, "refreshing", lock)
    waiter: list[list[int]] = []
    waited: list[bool] = []
    threads: list[threading.Thread] = []

    def while_loading() -> None:
        # Meanwhile another request comes, and waits for the load
        results, started = in_threads(1, revision_now)
        waited.append(lock.waiting.wait(STUCK_SECONDS))
        threads.extend(started)
        waiter.append(results)

    monkeypatch.setattr(snapshot, "cache", SlowCache(latest=3, during=while_loading))
    # When the first request loads it
    first = snapshot_current()
    still_running(threads)
    # Then the other request waited, and got the loaded snapshot, not an empty one
    assert waited == [True]
    assert first.revision == 3
    assert waiter == [[3]]


def test_snapshot_current__first_load_too_slow__wait_is_bounded(monkeypatch):
    # Given a process with no snapshot, whose first load takes longer than a request may wait
    published(4)
    monkeypatch.setattr(snapshot, "FIRST_LOAD_WAIT_SECONDS", 0.01)
    answered: list[int] = []
    stuck: list[bool] = []

    def while_loading() -> None:
        results, threads = in_threads(1, revision_now)
        stuck.append(still_running(threads))
        answered.extend(results)

    monkeypatch.setattr(snapshot, "cache", SlowCache(latest=4, during=while_loading))
    # When the first request loads it
    first = snapshot_current()
    # Then the other request was answered from an empty snapshot while the load went on
    assert stuck == [False]
    assert answered == [0]
    # And the load still completed for everyone after it
    assert first.revision == 4
    assert snapshot_current().revision == 4


def test_snapshot_activate__during_a_slow_check__not_held_and_not_undone(monkeypatch):
    # Given a process at r4, due for a check that will load r5
    snapshot_activate(document(4))
    published(5)
    _holder.next_check = 0.0
    stuck: list[bool] = []

    def while_reading() -> None:
        # Meanwhile this process publishes r6 and swaps to it on commit
        _, threads = in_threads(1, lambda: snapshot_activate(document(6)).revision)
        stuck.append(still_running(threads))

    monkeypatch.setattr(snapshot, "cache", SlowCache(latest=5, during=while_reading))
    # When the check ends, having read r5
    snapshot_current()
    # Then the swap did not wait for it, and the check did not put the older r5 back
    assert stuck == [False]
    assert snapshot_current().revision == 6


@pytest.mark.django_db
def test_revision_latest__published_by_a_process_with_its_own_cache__seen_within_a_period(
    settings, monkeypatch
):
    # Given a 5-second check period and revision 1 remembered in this process's cache
    settings.TACTFUL = {**settings.TACTFUL, "REVISION_CHECK_SECONDS": 5.0}
    Revision.objects.create(number=1, snapshot=snapshot.EMPTY_DOCUMENT)
    timeouts: list[Any] = []
    real_set = snapshot.cache.set

    def spy(key: str, value: Any, timeout: Any = None) -> None:
        timeouts.append(timeout)
        real_set(key, value, timeout)

    monkeypatch.setattr(snapshot.cache, "set", spy)
    assert snapshot.revision_latest() == 1
    # When another process (`manage.py` in the embedded mode) publishes revision 2, which this
    # process's cache never hears of, and the remembered number expires
    Revision.objects.create(number=2, snapshot={**snapshot.EMPTY_DOCUMENT, "revision": 2})
    snapshot.cache.delete(snapshot.REVISION_CACHE_KEY)
    # Then the number was only ever remembered for one period, and the next check reads it
    assert timeouts == [5]
    assert snapshot.revision_latest() == 2
