"""In-process decision statistics for the embedded mode (one process; lost on restart)."""

import threading
import time
from collections.abc import Mapping

from personalization.stats.backends.base import (
    RETENTION_SECONDS,
    BaseDecisionStatsStore,
    StatsCounts,
    StatsKey,
)


class MemoryDecisionStatsStore(BaseDecisionStatsStore):
    def __init__(self) -> None:
        self._counts: StatsCounts = {}
        self._lock = threading.Lock()

    def add(self, counts: Mapping[StatsKey, Mapping[str, int]]) -> None:
        horizon = time.time() - RETENTION_SECONDS
        with self._lock:
            for key, outcomes in counts.items():
                held = self._counts.setdefault(key, {})
                for outcome, n in outcomes.items():
                    held[outcome] = held.get(outcome, 0) + n
            for key in [key for key in self._counts if key[0] < horizon]:
                del self._counts[key]

    def read(self, *, since: int, until: int) -> StatsCounts:
        with self._lock:
            return {
                key: dict(outcomes)
                for key, outcomes in self._counts.items()
                if since <= key[0] < until
            }
