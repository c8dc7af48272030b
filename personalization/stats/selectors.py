"""Decision statistics reads: per placement, outcome shares over the last hour and day.

A group — the decisions of one placement in one time slice — is only shown with at least
`REPORT_MIN_GROUP` (k) decisions; a smaller one is reported as suppressed, with no count at all.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from personalization.stats.backends.base import (
    BUCKET_SECONDS,
    DecisionStatsError,
    Outcome,
    bucket_of,
)
from personalization.stats.services import decision_stats_flush
from personalization.stats.store import decision_stats_store

logger = logging.getLogger(__name__)

HOUR_BUCKETS = 3600 // BUCKET_SECONDS
DAY_HOURS = 24
OUTCOMES = tuple(Outcome)


@dataclass(frozen=True, slots=True)
class Slice:
    """One group: its start, and its outcome shares (percent) when it has at least k decisions."""

    start: datetime
    seconds: int
    total: int | None
    shares: dict[str, float] | None

    @property
    def suppressed(self) -> bool:
        return self.total is None


@dataclass(frozen=True, slots=True)
class PlacementReport:
    placement: str
    hour: Slice
    day: Slice
    hour_slices: tuple[Slice, ...]
    day_slices: tuple[Slice, ...]


@dataclass(frozen=True, slots=True)
class OutcomeReport:
    k: int
    generated_at: datetime
    available: bool
    placements: tuple[PlacementReport, ...]


def report_min_group() -> int:
    return max(int(settings.TACTFUL["REPORT_MIN_GROUP"]), 1)


def _slice(start: int, seconds: int, groups: Iterable[dict[str, int]], k: int) -> Slice:
    totals = dict.fromkeys(OUTCOMES, 0)
    for outcomes in groups:
        for outcome, n in outcomes.items():
            if outcome in totals:
                totals[Outcome(outcome)] += n
    total = sum(totals.values())
    at = datetime.fromtimestamp(start, UTC)
    if total < k:
        return Slice(start=at, seconds=seconds, total=None, shares=None)
    shares = {outcome.value: round(100 * n / total, 1) for outcome, n in totals.items()}
    return Slice(start=at, seconds=seconds, total=total, shares=shares)


def _placement_report(
    placement: str, buckets: dict[int, dict[str, int]], *, current: int, k: int
) -> PlacementReport:
    def groups(since: int, until: int) -> list[dict[str, int]]:
        return [outcomes for bucket, outcomes in buckets.items() if since <= bucket < until]

    hour_start = current - (HOUR_BUCKETS - 1) * BUCKET_SECONDS
    hour_end = current + BUCKET_SECONDS
    current_hour = current - current % 3600
    day_start = current_hour - (DAY_HOURS - 1) * 3600
    day_end = current_hour + 3600
    return PlacementReport(
        placement=placement,
        hour=_slice(hour_start, hour_end - hour_start, groups(hour_start, hour_end), k),
        day=_slice(day_start, day_end - day_start, groups(day_start, day_end), k),
        hour_slices=tuple(
            _slice(start, BUCKET_SECONDS, groups(start, start + BUCKET_SECONDS), k)
            for start in range(hour_start, hour_end, BUCKET_SECONDS)
        ),
        day_slices=tuple(
            _slice(start, 3600, groups(start, start + 3600), k)
            for start in range(day_start, day_end, 3600)
        ),
    )


def outcome_report(*, placements: Iterable[str], now: float, k: int | None = None) -> OutcomeReport:
    """Outcome shares of `placements` (and of any other placement with recent decisions) over
    the last hour (5-minute slices) and the last day (hourly slices), groups under k hidden."""
    k = report_min_group() if k is None else k
    current = bucket_of(now)
    since = current - current % 3600 - (DAY_HOURS - 1) * 3600
    # This process's own recent counts go first, so the embedded mode is always up to date.
    decision_stats_flush(now=now)
    try:
        counts = decision_stats_store().read(since=since, until=current + BUCKET_SECONDS)
        available = True
    except DecisionStatsError:
        logger.warning("Decision statistics store unavailable; the dashboard shows none.")
        counts, available = {}, False
    by_placement: dict[str, dict[int, dict[str, int]]] = {key: {} for key in placements}
    for (bucket, key), outcomes in counts.items():
        by_placement.setdefault(key, {})[bucket] = outcomes
    return OutcomeReport(
        k=k,
        generated_at=datetime.fromtimestamp(now, UTC),
        available=available,
        placements=tuple(
            _placement_report(key, by_placement[key], current=current, k=k)
            for key in sorted(by_placement)
        ),
    )
