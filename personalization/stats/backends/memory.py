"""In-process decision statistics for the embedded mode (one process; lost on restart)."""

import threading
import time
from collections.abc import Collection, Mapping, Sequence

from personalization.stats.backends.base import (
    RETENTION_SECONDS,
    BaseDecisionStatsStore,
    StatsCounts,
    StatsKey,
    StatsVisitors,
    report_min_group,
)


class MemoryDecisionStatsStore(BaseDecisionStatsStore):
    """Counts in a dict; each group's visitors in a set of keyed hashes."""

    def __init__(self) -> None:
        self._counts: StatsCounts = {}
        self._visitors: StatsVisitors = {}
        self._lock = threading.Lock()

    def add(
        self,
        counts: Mapping[StatsKey, Mapping[str, int]],
        visitors: Mapping[StatsKey, Collection[bytes]] | None = None,
    ) -> None:
        horizon = time.time() - RETENTION_SECONDS
        # A report only asks whether a group reaches k, and any k of its visitors prove it (for
        # a union of groups too): keeping more would only cost memory, for a whole day.
        keep = report_min_group()
        with self._lock:
            for key, outcomes in counts.items():
                held = self._counts.setdefault(key, {})
                for outcome, n in outcomes.items():
                    held[outcome] = held.get(outcome, 0) + n
            for key, hashes in (visitors or {}).items():
                seen = self._visitors.setdefault(key, set())
                for visitor in hashes:
                    if len(seen) >= keep:
                        break
                    seen.add(visitor)
            for key in [key for key in self._counts if key[0] < horizon]:
                del self._counts[key]
            for key in [key for key in self._visitors if key[0] < horizon]:
                del self._visitors[key]

    def read(self, *, since: int, until: int) -> StatsCounts:
        with self._lock:
            return {
                key: dict(outcomes)
                for key, outcomes in self._counts.items()
                if since <= key[0] < until
            }

    def distinct_visitors(self, groups: Sequence[Collection[StatsKey]]) -> list[int]:
        with self._lock:
            return [
                len(set().union(*(self._visitors.get(key, ()) for key in keys))) for keys in groups
            ]
