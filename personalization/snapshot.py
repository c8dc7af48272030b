"""The compiled snapshot each process decides from: sync and async access, swapped when a newer
revision is published, and the one query for the latest revision.

Request threads check for a newer revision every `REVISION_CHECK_SECONDS`. Exactly one of them
reads the revision (cache, then database) while every other keeps deciding from the snapshot it
has, so a slow or unreachable database holds up one request, not all of them. Only a process
with no snapshot at all waits for the load, and at most `FIRST_LOAD_WAIT_SECONDS`. The cache
only spares the database a query, and never for longer than one check period: when it is down
(Redis stopped), or holds no number, the database answers. Async code (sockets, the process
listener) reads through `asnapshot_current`, which never blocks the event loop.
"""

import asyncio
import logging
import threading
import time
import weakref
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache

from personalization import metrics
from personalization.engine import Snapshot, compile_snapshot

logger = logging.getLogger(__name__)

REVISION_CACHE_KEY = "personalization:revision"
# Channel-layer group told of every published revision (`revision.published`).
REVISIONS_GROUP = "revisions"
EMPTY_DOCUMENT: dict[str, Any] = {
    "revision": 0,
    "segments": {},
    "experiments": {},
    "placements": {},
}
# A request that finds no snapshot in its process waits this long for the first load, then is
# answered from an empty one (no placement) rather than held until its client gives up.
FIRST_LOAD_WAIT_SECONDS = 2.0


def _check_seconds() -> float:
    return float(settings.TACTFUL["REVISION_CHECK_SECONDS"])


class _Holder:
    """Process-wide holder: readers take `snapshot` without locking; one thread refreshes."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.next_check = 0.0
        # Held by the one thread reading the revision (cache, database): a thread that has a
        # snapshot to serve never waits for it.
        self.refreshing = threading.Lock()
        # Held only to compare and swap `snapshot`, never while waiting on I/O.
        self.swapping = threading.Lock()
        # What async code saw, and until when it counts as checked; one refresh per event loop.
        self.live: Snapshot | None = None
        self.live_until = 0.0
        self.live_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )


_holder = _Holder()


def revision_latest_stored() -> int:
    """The number of the latest published revision in the database (0: none)."""
    from personalization.models import Revision

    number = Revision.objects.order_by("-number").values_list("number", flat=True).first()
    return number or 0


def revision_latest() -> int:
    """The number of the latest published revision, from the cache when it has it.

    The cached number is written by the publisher and expires after one check period, so a
    publication whose cache write failed, or that came from a process with a cache of its own
    (the embedded mode's `manage.py`), is seen within a period all the same.
    """
    try:
        latest = cache.get(REVISION_CACHE_KEY)
    except Exception:
        logger.warning("Revision cache unavailable; reading the database.", exc_info=True)
        return revision_latest_stored()
    if latest is None:
        latest = revision_latest_stored()
        revision_latest_remember(latest)
    return int(latest)


def revision_latest_remember(number: int) -> None:
    """Spare the other processes a query for the next period (a failure is only logged)."""
    try:
        cache.set(REVISION_CACHE_KEY, number, max(int(_check_seconds()), 1))
    except Exception:
        logger.warning("Revision cache unavailable; the revision is not cached.", exc_info=True)


def snapshot_current() -> Snapshot:
    """The snapshot to decide from; checks for a newer revision at most every few seconds."""
    snapshot = _holder.snapshot
    if snapshot is not None:
        if time.monotonic() < _holder.next_check or not _holder.refreshing.acquire(blocking=False):
            # Fresh, or another thread is checking: this one decides from what there is.
            return snapshot
    elif not _holder.refreshing.acquire(timeout=FIRST_LOAD_WAIT_SECONDS):
        logger.warning("The decision snapshot is still loading; deciding from an empty one.")
        return _holder.snapshot or compile_snapshot(EMPTY_DOCUMENT)
    try:
        # Another thread may have checked (or loaded the first snapshot) since this one looked.
        if _holder.snapshot is None or (
            snapshot is not None and time.monotonic() >= _holder.next_check
        ):
            _refresh()
        assert _holder.snapshot is not None
        return _holder.snapshot
    finally:
        _holder.refreshing.release()


async def asnapshot_current(*, at_least: int = 0) -> Snapshot:
    """The snapshot to decide from on the event loop, at least at revision `at_least`.

    Served from memory while checked recently; otherwise one caller per event loop refreshes
    it in a thread (cache, then database when a newer revision exists) and the others wait.
    """
    if _live_usable(at_least):
        assert _holder.live is not None
        return _holder.live
    loop = asyncio.get_running_loop()
    lock = _holder.live_locks.setdefault(loop, asyncio.Lock())
    async with lock:
        if _live_usable(at_least):
            assert _holder.live is not None
            return _holder.live
        # Not the thread of sync views: a publishing request may still be running there, and
        # every socket of this process waits for this load.
        snapshot = await database_sync_to_async(_load_at_least, thread_sensitive=False)(at_least)
        _holder.live = snapshot
        _holder.live_until = time.monotonic() + _check_seconds()
        return snapshot


def asnapshot_expire() -> None:
    """Have the next `asnapshot_current` check the revision again (the periodic check)."""
    _holder.live_until = 0.0


def snapshot_activate(document: dict[str, Any]) -> Snapshot:
    """Compile and swap in `document` unless this process already runs a newer revision."""
    compiled = compile_snapshot(document)
    swapped = _swap(compiled)
    if swapped is compiled:
        _holder.next_check = time.monotonic() + _check_seconds()
        metrics.snapshot_revision_set(compiled.revision)
    return swapped


def snapshot_reset() -> None:
    """Forget the process's snapshot, sync and async (tests, and after a database restore)."""
    with _holder.swapping:
        _holder.snapshot = None
        _holder.next_check = 0.0
        _holder.live = None
        _holder.live_until = 0.0


def _live_usable(at_least: int) -> bool:
    live = _holder.live
    return live is not None and live.revision >= at_least and time.monotonic() < _holder.live_until


def _swap(compiled: Snapshot) -> Snapshot:
    """Make `compiled` current unless a newer one already is (activated meanwhile); the current."""
    with _holder.swapping:
        current = _holder.snapshot
        if current is None or compiled.revision >= current.revision:
            _holder.snapshot = current = compiled
        return current


def _refresh() -> None:
    period = _check_seconds()
    _holder.next_check = time.monotonic() + period
    try:
        _load(revision_latest())
    except Exception:
        # Keep deciding from the last known-good snapshot; try again at the next check.
        logger.exception("could not refresh the decision snapshot")
        if _holder.snapshot is None:
            # Nothing to decide from yet: an empty snapshot, and the next request tries again.
            _swap(compile_snapshot(EMPTY_DOCUMENT))
            _holder.next_check = 0.0
            return
    # Counted from the end: a check slower than the period is not followed by another at once.
    _holder.next_check = time.monotonic() + period


def _load(latest: int) -> None:
    """Swap in revision `latest` (or a newer one) unless this process already has it."""
    from personalization.models import Revision

    current = _holder.snapshot
    if current is not None and latest <= current.revision:
        return
    document = (
        Revision.objects.filter(number__gte=latest)
        .order_by("-number")
        .values_list("snapshot", flat=True)
        .first()
        if latest
        else None
    )
    metrics.snapshot_revision_set(_swap(compile_snapshot(document or EMPTY_DOCUMENT)).revision)


def _load_at_least(at_least: int) -> Snapshot:
    snapshot = snapshot_current()
    if snapshot.revision < at_least:
        # Told of a revision this process has not seen: load it now, not at the next check.
        _load(at_least)
        snapshot = snapshot_current()
    return snapshot
