"""The compiled snapshot each process decides from, swapped when a newer revision is published."""

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


class _Holder:
    """Process-wide holder: readers take `snapshot` without locking; one thread refreshes."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.next_check = 0.0
        self.lock = threading.Lock()


_holder = _Holder()


def snapshot_current() -> Snapshot:
    """The snapshot to decide from; checks for a newer revision at most every few seconds."""
    snapshot = _holder.snapshot
    if snapshot is not None and time.monotonic() < _holder.next_check:
        return snapshot
    with _holder.lock:
        if _holder.snapshot is None or time.monotonic() >= _holder.next_check:
            _refresh()
            metrics.snapshot_revision_set(_holder.snapshot.revision if _holder.snapshot else 0)
        assert _holder.snapshot is not None
        return _holder.snapshot


def snapshot_activate(document: dict[str, Any]) -> Snapshot:
    """Compile and swap in `document` unless this process already runs a newer revision."""
    compiled = compile_snapshot(document)
    with _holder.lock:
        current = _holder.snapshot
        if current is None or compiled.revision >= current.revision:
            _holder.snapshot = compiled
            _holder.next_check = time.monotonic() + settings.TACTFUL["REVISION_CHECK_SECONDS"]
            metrics.snapshot_revision_set(compiled.revision)
        return _holder.snapshot or compiled


def snapshot_reset() -> None:
    """Forget the process's snapshot (tests, and after a database restore)."""
    with _holder.lock:
        _holder.snapshot = None
        _holder.next_check = 0.0


def _refresh() -> None:
    from personalization.models import Revision

    _holder.next_check = time.monotonic() + settings.TACTFUL["REVISION_CHECK_SECONDS"]
    current = _holder.snapshot
    try:
        latest = cache.get(REVISION_CACHE_KEY)
        if latest is None:
            latest = Revision.objects.order_by("-number").values_list("number", flat=True).first()
            cache.set(REVISION_CACHE_KEY, latest or 0, None)
        if current is not None and (latest or 0) <= current.revision:
            return
        document = (
            Revision.objects.filter(number=latest).values_list("snapshot", flat=True).first()
            if latest
            else None
        )
        _holder.snapshot = compile_snapshot(document or EMPTY_DOCUMENT)
    except Exception:
        # Keep deciding from the last known-good snapshot; try again at the next check.
        logger.exception("could not refresh the decision snapshot")
        if _holder.snapshot is None:
            _holder.snapshot = compile_snapshot(EMPTY_DOCUMENT)
            _holder.next_check = 0.0
