"""Decision statistics writes: count in process memory on the hot path, flush on a cadence.

A decision only increments a counter under a lock, and adds its visitor's keyed hash to a set;
every `DECISION_STATS_FLUSH_SECONDS` the request that notices it is time hands both to the store
(dicts and sets in the embedded mode, one Redis pipeline in production). No database query,
ever; if the store is down they stay pending and go with the next flush, and what is older than
a day is dropped.

A visitor is the decision's consent subject, kept only as an HMAC under a key derived from
`SECRET_KEY`: the statistics never hold a subject id, and cannot be joined back to subjects
without the server's secret. A decision without a subject counts as `ANONYMOUS`.
"""

import functools
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings

from personalization.engine import Decision, Reason
from personalization.stats.backends.base import (
    ANONYMOUS,
    RETENTION_SECONDS,
    DecisionStatsError,
    Outcome,
    StatsCounts,
    StatsVisitors,
    bucket_of,
    report_min_group,
)
from personalization.stats.store import decision_stats_store

logger = logging.getLogger(__name__)

_VISITOR_SALT = "personalization.stats.visitor"


def decision_outcome(decision: Decision) -> Outcome:
    if decision.reason is Reason.ERROR:
        return Outcome.ERROR
    if decision.reason is Reason.CONSENT_REQUIRED:
        return Outcome.CONSENT_REQUIRED
    return Outcome.PERSONALIZED if decision.personalized else Outcome.DEFAULT


@functools.lru_cache(maxsize=2)
def _visitor_key(secret: str) -> bytes:
    # Derived as Django's `salted_hmac` derives its keys, but once per secret: this is on every
    # decision's path, which then costs one HMAC per request.
    return hashlib.sha256(f"{_VISITOR_SALT}{secret}".encode()).digest()


def visitor_hash(subject_id: str) -> bytes:
    """The keyed hash that stands for a subject in the statistics (128 bits of an HMAC-SHA256)."""
    return hmac.digest(_visitor_key(settings.SECRET_KEY), subject_id.encode(), "sha256")[:16]


class _Pending:
    def __init__(self) -> None:
        self.counts: StatsCounts = {}
        self.visitors: StatsVisitors = {}
        self.lock = threading.Lock()
        self.flushing = threading.Lock()
        self.next_flush = 0.0


_pending = _Pending()


def decision_stats_record(
    decisions: Iterable[Decision],
    *,
    subject_id: str | None = None,
    now: float | None = None,
    times: int = 1,
) -> None:
    """Count decisions made for `subject_id` (None: no consent subject) in this process, each
    served `times`; flush to the store when the cadence says so."""
    now = time.time() if now is None else now
    bucket = bucket_of(now)
    visitor = None if subject_id is None else visitor_hash(subject_id)
    # Any k visitors of a group prove it reaches k (see the memory store): more are not kept.
    keep = report_min_group()
    with _pending.lock:
        counts = _pending.counts
        for decision in decisions:
            key = (bucket, decision.key)
            outcomes = counts.get(key)
            if outcomes is None:
                outcomes = counts[key] = {}
            outcome = decision_outcome(decision)
            outcomes[outcome] = outcomes.get(outcome, 0) + times
            if visitor is None:
                outcomes[ANONYMOUS] = outcomes.get(ANONYMOUS, 0) + times
                continue
            seen = _pending.visitors.get(key)
            if seen is None:
                seen = _pending.visitors[key] = set()
            if len(seen) < keep:
                seen.add(visitor)
        due = now >= _pending.next_flush
    if due:
        decision_stats_flush(now=now)


def decision_stats_flush(*, now: float | None = None) -> bool:
    """Hand this process's pending counts and visitors to the store; False if they must wait
    (store down, or another thread is flushing)."""
    now = time.time() if now is None else now
    if not _pending.flushing.acquire(blocking=False):
        return False
    try:
        _pending.next_flush = now + float(settings.TACTFUL["DECISION_STATS_FLUSH_SECONDS"])
        with _pending.lock:
            counts, _pending.counts = _pending.counts, {}
            visitors, _pending.visitors = _pending.visitors, {}
        if not counts:
            return True
        try:
            decision_stats_store().add(counts, visitors)
        except (DecisionStatsError, OSError):
            logger.warning("Decision statistics store unavailable; keeping the counts pending.")
            _restore(counts, visitors, horizon=now - RETENTION_SECONDS)
            return False
        return True
    finally:
        _pending.flushing.release()


def _restore(counts: StatsCounts, visitors: StatsVisitors, *, horizon: float) -> None:
    keep = report_min_group()
    with _pending.lock:
        for key, outcomes in counts.items():
            if key[0] < horizon:
                continue
            held = _pending.counts.setdefault(key, {})
            for outcome, n in outcomes.items():
                held[outcome] = held.get(outcome, 0) + n
        for key, hashes in visitors.items():
            if key[0] < horizon:
                continue
            seen = _pending.visitors.setdefault(key, set())
            for visitor in hashes:
                if len(seen) >= keep:
                    break
                seen.add(visitor)


def decision_stats_reset() -> None:
    """Forget this process's pending counts and visitors (tests)."""
    with _pending.lock:
        _pending.counts = {}
        _pending.visitors = {}
        _pending.next_flush = 0.0
