"""Decision statistics reads: per placement, outcome shares over the last hour and day.

A group — the decisions of one placement in one time slice — is shown only when it holds at
least k = `REPORT_MIN_GROUP` visitors; a smaller one is reported as suppressed, with no count at
all. Who counts as a visitor:

- A decision made for a consent subject counts that subject once per group, however many
  decisions it got: the store counts distinct keyed hashes, so one visitor reloading a page
  50 times is one visitor, not 50.
- A decision without a subject (a visitor who never made a consent choice, or an erased one)
  has nothing to tell its visitor from another, and Tactful will not fingerprint (IP address,
  user agent) to find out. Such a decision used only its request's context (page, device,
  locale…) — nothing stored or consented about anyone.

The rule: a group with any decision for a subject is shown when its distinct subjects reach k,
whatever its anonymous decisions; a group of anonymous decisions only is shown when they number
at least k. Anonymous decisions never help subjects over the threshold: they are predictable
from their context (on a placement whose only rule needs consent, every one of them is
`consent_required`), so a marketer could subtract them and single out the few subjects'
outcomes. A group of anonymous decisions only holds nothing about a person beyond the context
of its requests; k decisions is the bar there, as no count of people is possible.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from personalization.stats.backends.base import (
    ANONYMOUS,
    BUCKET_SECONDS,
    DecisionStatsError,
    Outcome,
    StatsKey,
    bucket_of,
    report_min_group,
)
from personalization.stats.services import decision_stats_flush
from personalization.stats.store import decision_stats_store

logger = logging.getLogger(__name__)

HOUR_BUCKETS = 3600 // BUCKET_SECONDS
DAY_HOURS = 24
OUTCOMES = tuple(Outcome)


@dataclass(frozen=True, slots=True)
class Slice:
    """One group: its start, and its outcome shares (percent) when it has at least k visitors."""

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


@dataclass(slots=True)
class _Group:
    """A group's counts before the rule is applied; `visitors` once the store was asked."""

    start: int
    seconds: int
    totals: dict[Outcome, int]
    anonymous: int
    # The buckets holding decisions for subjects: whose visitors the group's union counts.
    identified_keys: tuple[StatsKey, ...]
    visitors: int = 0

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def identified(self) -> int:
        return self.total - self.anonymous

    def shown(self, k: int) -> bool:
        if self.identified:
            return self.visitors >= k
        return self.anonymous >= k


def _group(
    placement: str, buckets: dict[int, dict[str, int]], *, start: int, seconds: int
) -> _Group:
    totals = dict.fromkeys(OUTCOMES, 0)
    anonymous = 0
    identified_keys = []
    for bucket, counts in buckets.items():
        if not start <= bucket < start + seconds:
            continue
        decided = 0
        for outcome, n in counts.items():
            if outcome in totals:
                totals[Outcome(outcome)] += n
                decided += n
        anonymous += counts.get(ANONYMOUS, 0)
        if decided > counts.get(ANONYMOUS, 0):
            identified_keys.append((bucket, placement))
    return _Group(
        start=start,
        seconds=seconds,
        totals=totals,
        anonymous=anonymous,
        identified_keys=tuple(sorted(identified_keys)),
    )


def _slice(group: _Group, k: int) -> Slice:
    at = datetime.fromtimestamp(group.start, UTC)
    if not group.shown(k):
        return Slice(start=at, seconds=group.seconds, total=None, shares=None)
    total = group.total
    shares = {outcome.value: round(100 * n / total, 1) for outcome, n in group.totals.items()}
    return Slice(start=at, seconds=group.seconds, total=total, shares=shares)


def _placement_groups(
    placement: str, buckets: dict[int, dict[str, int]], *, current: int
) -> tuple[_Group, _Group, list[_Group], list[_Group]]:
    """The hour, the day, the hour's 5-minute slices and the day's hourly slices."""
    hour_start = current - (HOUR_BUCKETS - 1) * BUCKET_SECONDS
    hour_end = current + BUCKET_SECONDS
    current_hour = current - current % 3600
    day_start = current_hour - (DAY_HOURS - 1) * 3600
    day_end = current_hour + 3600
    return (
        _group(placement, buckets, start=hour_start, seconds=hour_end - hour_start),
        _group(placement, buckets, start=day_start, seconds=day_end - day_start),
        [
            _group(placement, buckets, start=start, seconds=BUCKET_SECONDS)
            for start in range(hour_start, hour_end, BUCKET_SECONDS)
        ],
        [
            _group(placement, buckets, start=start, seconds=3600)
            for start in range(day_start, day_end, 3600)
        ],
    )


def outcome_report(*, placements: Iterable[str], now: float, k: int | None = None) -> OutcomeReport:
    """Outcome shares of `placements` (and of any other placement with recent decisions) over
    the last hour (5-minute slices) and the last day (hourly slices), groups under k visitors
    hidden."""
    k = report_min_group() if k is None else k
    current = bucket_of(now)
    since = current - current % 3600 - (DAY_HOURS - 1) * 3600
    # This process's own recent counts go first, so the embedded mode is always up to date.
    decision_stats_flush(now=now)
    store = decision_stats_store()
    try:
        counts = store.read(since=since, until=current + BUCKET_SECONDS)
        available = True
    except DecisionStatsError:
        logger.warning("Decision statistics store unavailable; the dashboard shows none.")
        counts, available = {}, False
    by_placement: dict[str, dict[int, dict[str, int]]] = {key: {} for key in placements}
    for (bucket, key), outcomes in counts.items():
        by_placement.setdefault(key, {})[bucket] = outcomes
    reports = {
        key: _placement_groups(key, by_placement[key], current=current) for key in by_placement
    }
    # Only a group with at least k decisions for subjects can have k of them: the others are
    # suppressed without asking the store, which counts the rest's unions in one round trip.
    asked = [
        group
        for hour, day, hour_slices, day_slices in reports.values()
        for group in (hour, day, *hour_slices, *day_slices)
        if group.identified >= k
    ]
    try:
        visitors = store.distinct_visitors([group.identified_keys for group in asked])
    except DecisionStatsError:
        logger.warning("Decision statistics store unavailable; groups of subjects not shown.")
        visitors, available = [0] * len(asked), False
    for group, count in zip(asked, visitors, strict=True):
        group.visitors = count
    return OutcomeReport(
        k=k,
        generated_at=datetime.fromtimestamp(now, UTC),
        available=available,
        placements=tuple(
            PlacementReport(
                placement=key,
                hour=_slice(hour, k),
                day=_slice(day, k),
                hour_slices=tuple(_slice(group, k) for group in hour_slices),
                day_slices=tuple(_slice(group, k) for group in day_slices),
            )
            for key, (hour, day, hour_slices, day_slices) in sorted(reports.items())
        ),
    )
