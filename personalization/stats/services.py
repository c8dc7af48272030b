"""Decision statistics writes: count in process memory on the hot path, flush on a cadence.

A decision only increments a counter under a lock; every `DECISION_STATS_FLUSH_SECONDS` the
request that notices it is time hands the counts to the store (a dict in the embedded mode, one
Redis pipeline in production). No database query, ever; if the store is down the counts stay
pending and go with the next flush, and what is older than a day is dropped.
"""

import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings

from personalization.engine import Decision, Reason
from personalization.stats.backends.base import (
    RETENTION_SECONDS,
    DecisionStatsError,
    Outcome,
    StatsCounts,
    bucket_of,
)
from personalization.stats.store import decision_stats_store

logger = logging.getLogger(__name__)


def decision_outcome(decision: Decision) -> Outcome:
    if decision.reason is Reason.ERROR:
        return Outcome.ERROR
    if decision.reason is Reason.CONSENT_REQUIRED:
        return Outcome.CONSENT_REQUIRED
    return Outcome.PERSONALIZED if decision.personalized else Outcome.DEFAULT


class _Pending:
    def __init__(self) -> None:
        self.counts: StatsCounts = {}
        self.lock = threading.Lock()
        self.flushing = threading.Lock()
        self.next_flush = 0.0


_pending = _Pending()


def decision_stats_record(decisions: Iterable[Decision], *, now: float | None = None) -> None:
    """Count decisions in this process; flush to the store when the cadence says so."""
    now = time.time() if now is None else now
    bucket = bucket_of(now)
    with _pending.lock:
        counts = _pending.counts
        for decision in decisions:
            outcomes = counts.get((bucket, decision.key))
            if outcomes is None:
                outcomes = counts[bucket, decision.key] = {}
            outcome = decision_outcome(decision)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        due = now >= _pending.next_flush
    if due:
        decision_stats_flush(now=now)


def decision_stats_flush(*, now: float | None = None) -> bool:
    """Hand this process's pending counts to the store; False if they must wait (store down, or
    another thread is flushing)."""
    now = time.time() if now is None else now
    if not _pending.flushing.acquire(blocking=False):
        return False
    try:
        _pending.next_flush = now + float(settings.TACTFUL["DECISION_STATS_FLUSH_SECONDS"])
        with _pending.lock:
            counts, _pending.counts = _pending.counts, {}
        if not counts:
            return True
        try:
            decision_stats_store().add(counts)
        except (DecisionStatsError, OSError):
            logger.warning("Decision statistics store unavailable; keeping the counts pending.")
            _restore(counts, horizon=now - RETENTION_SECONDS)
            return False
        return True
    finally:
        _pending.flushing.release()


def _restore(counts: StatsCounts, *, horizon: float) -> None:
    with _pending.lock:
        for key, outcomes in counts.items():
            if key[0] < horizon:
                continue
            held = _pending.counts.setdefault(key, {})
            for outcome, n in outcomes.items():
                held[outcome] = held.get(outcome, 0) + n


def decision_stats_reset() -> None:
    """Forget this process's pending counts (tests)."""
    with _pending.lock:
        _pending.counts = {}
        _pending.next_flush = 0.0
