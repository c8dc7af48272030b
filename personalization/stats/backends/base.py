"""The decision statistics store interface, and the buckets and outcomes it counts."""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import StrEnum

# Counts are kept per placement and 5-minute bucket: the hour chart shows 12 of them, the day
# chart sums them by hour. Nothing older than the day chart needs is kept.
BUCKET_SECONDS = 300
RETENTION_SECONDS = 25 * 3600


class Outcome(StrEnum):
    PERSONALIZED = "personalized"
    DEFAULT = "default"
    CONSENT_REQUIRED = "consent_required"
    ERROR = "error"


# (bucket start in seconds since the epoch, placement key) → outcome → count
type StatsKey = tuple[int, str]
type StatsCounts = dict[StatsKey, dict[str, int]]


class DecisionStatsError(Exception):
    """The store could not be reached; the counts stay pending in the process."""


class BaseDecisionStatsStore(ABC):
    """Aggregated decision outcomes, shared by every process that writes to the same store."""

    @abstractmethod
    def add(self, counts: Mapping[StatsKey, Mapping[str, int]]) -> None:
        """Add `counts` to what the store holds (an increment, never an overwrite)."""

    @abstractmethod
    def read(self, *, since: int, until: int) -> StatsCounts:
        """Every count of the buckets starting in [since, until)."""


def bucket_of(timestamp: float) -> int:
    return int(timestamp // BUCKET_SECONDS) * BUCKET_SECONDS
