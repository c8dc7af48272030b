"""The decision statistics store interface, and the buckets, outcomes and visitors it counts."""

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from django.conf import settings

# Counts are kept per placement and 5-minute bucket: the hour chart shows 12 of them, the day
# chart sums them by hour. Nothing older than the day chart needs is kept.
BUCKET_SECONDS = 300
RETENTION_SECONDS = 25 * 3600


class Outcome(StrEnum):
    PERSONALIZED = "personalized"
    DEFAULT = "default"
    CONSENT_REQUIRED = "consent_required"
    ERROR = "error"


# Counted next to the outcomes: how many of a group's decisions had no consent subject (nothing
# identifies their visitors, so they cannot be counted as distinct visitors).
ANONYMOUS = "anonymous"

# (bucket start in seconds since the epoch, placement key) → outcome (or ANONYMOUS) → count
type StatsKey = tuple[int, str]
type StatsCounts = dict[StatsKey, dict[str, int]]
# (bucket, placement) → keyed hashes of the subjects who were decided for (see `visitor_hash`)
type StatsVisitors = dict[StatsKey, set[bytes]]


class DecisionStatsError(Exception):
    """The store could not be reached; the counts stay pending in the process."""


class BaseDecisionStatsStore(ABC):
    """Aggregated decision outcomes and distinct visitors, shared by every process that writes
    to the same store. Visitors are only ever keyed hashes, never subject ids."""

    @abstractmethod
    def add(
        self,
        counts: Mapping[StatsKey, Mapping[str, int]],
        visitors: Mapping[StatsKey, Collection[bytes]] | None = None,
    ) -> None:
        """Add `counts` to what the store holds (an increment, never an overwrite), and
        `visitors` to each group's distinct visitors."""

    @abstractmethod
    def read(self, *, since: int, until: int) -> StatsCounts:
        """Every count of the buckets starting in [since, until)."""

    @abstractmethod
    def distinct_visitors(self, groups: Sequence[Collection[StatsKey]]) -> list[int]:
        """For each group of (bucket, placement) keys, how many distinct visitors their union
        holds (an estimate in Redis, never above the truth for small groups)."""


def bucket_of(timestamp: float) -> int:
    return int(timestamp // BUCKET_SECONDS) * BUCKET_SECONDS


def report_min_group() -> int:
    """k: the fewest distinct visitors a report may show a group of."""
    return max(int(settings.TACTFUL["REPORT_MIN_GROUP"]), 1)
