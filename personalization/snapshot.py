"""The compiled snapshot each process decides from, swapped when a newer revision is published.

Request threads check for a newer revision every `REVISION_CHECK_SECONDS`. Exactly one of them
reads the revision (cache, then database) while every other keeps deciding from the snapshot it
has, so a slow or unreachable database holds up one request, not all of them. Only a process
with no snapshot at all waits for the load, and at most `FIRST_LOAD_WAIT_SECONDS`. The cache
only spares the database a query: when it is down (Redis stopped), the database answers.
"""

import logging
import threading
import time
from typing import Any

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


_holder = _Holder()


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
            metrics.snapshot_revision_set(_holder.snapshot.revision if _holder.snapshot else 0)
        assert _holder.snapshot is not None
        return _holder.snapshot
    finally:
        _holder.refreshing.release()


def snapshot_activate(document: dict[str, Any]) -> Snapshot:
    """Compile and swap in `document` unless this process already runs a newer revision."""
    compiled = compile_snapshot(document)
    swapped = _swap(compiled)
    if swapped is compiled:
        _holder.next_check = time.monotonic() + settings.TACTFUL["REVISION_CHECK_SECONDS"]
        metrics.snapshot_revision_set(compiled.revision)
    return swapped


def snapshot_reset() -> None:
    """Forget the process's snapshot (tests, and after a database restore)."""
    with _holder.swapping:
        _holder.snapshot = None
        _holder.next_check = 0.0


def _swap(compiled: Snapshot) -> Snapshot:
    """Make `compiled` current unless a newer one already is (activated meanwhile); the current."""
    with _holder.swapping:
        current = _holder.snapshot
        if current is None or compiled.revision >= current.revision:
            _holder.snapshot = current = compiled
        return current


def _latest_revision() -> int:
    from personalization.models import Revision

    def from_database() -> int:
        number = Revision.objects.order_by("-number").values_list("number", flat=True).first()
        return number or 0

    try:
        latest = cache.get(REVISION_CACHE_KEY)
    except Exception:
        logger.warning("Revision cache unavailable; reading the database.", exc_info=True)
        return from_database()
    if latest is None:
        latest = from_database()
        try:
            cache.set(REVISION_CACHE_KEY, latest, None)
        except Exception:
            logger.warning("Revision cache unavailable; the revision is not cached.", exc_info=True)
    return int(latest)


def _refresh() -> None:
    period = float(settings.TACTFUL["REVISION_CHECK_SECONDS"])
    _holder.next_check = time.monotonic() + period
    try:
        _load_if_newer()
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


def _load_if_newer() -> None:
    from personalization.models import Revision

    current = _holder.snapshot
    latest = _latest_revision()
    if current is not None and latest <= current.revision:
        return
    document = (
        Revision.objects.filter(number=latest).values_list("snapshot", flat=True).first()
        if latest
        else None
    )
    _swap(compile_snapshot(document or EMPTY_DOCUMENT))
