"""Outcome marks and pending aggregates in process memory, for the embedded mode (one process;
lost on restart)."""

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from personalization.outcomes.backends.base import (
    CONVERTERS,
    SQUARES,
    TOMBSTONE_SECONDS,
    TOTAL,
    VISITORS,
    Aggregates,
    BaseOutcomeStore,
    ConvertedEvent,
    Exposure,
    Mark,
    aggregate_field,
    aggregates_merge,
    day_of,
)
from personalization.outcomes.cohorts import Cohort
from personalization.signals.taxonomy import CLOCK_SKEW_SECONDS


@dataclass(slots=True)
class _Marks:
    # cohort → (exposed at, revision)
    exposures: dict[str, tuple[float, int]] = field(default_factory=dict)
    # (cohort, goal) → the visitor's running total
    totals: dict[tuple[str, int], float] = field(default_factory=dict)

    def prune(self, since: float) -> None:
        stale = {cohort for cohort, (at, _) in self.exposures.items() if at <= since}
        for cohort in stale:
            del self.exposures[cohort]
        for key in [key for key in self.totals if key[0] in stale]:
            del self.totals[key]


class MemoryOutcomeStore(BaseOutcomeStore):
    """Dicts under one lock; expired marks and tombstones are swept as the store is used."""

    def __init__(self) -> None:
        self._marks: dict[str, _Marks] = {}
        self._tombstones: dict[str, float] = {}
        self._aggregates: Aggregates = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def _add(
        self, measure: str, day: str, revision: int, cohort: str, goal: int | None, amount: float
    ) -> None:
        key = aggregate_field(measure, day, revision, cohort, goal)
        self._aggregates[key] = self._aggregates.get(key, 0.0) + amount

    def _live(self, visitor: str, *, now: float, window: float) -> _Marks | None:
        marks = self._marks.get(visitor)
        if marks is not None:
            marks.prune(now - window)
            if not marks.exposures:
                del self._marks[visitor]
                return None
        return marks

    def _gone(self, visitor: str, at: float) -> bool:
        erased = self._tombstones.get(visitor)
        return erased is not None and erased >= at

    def _sweep(self, *, now: float, window: float) -> None:
        if now < self._next_sweep:
            return
        self._next_sweep = now + 60
        for visitor in list(self._marks):
            self._live(visitor, now=now, window=window)
        for visitor in [v for v, at in self._tombstones.items() if at <= now - TOMBSTONE_SECONDS]:
            del self._tombstones[visitor]

    def expose(self, exposures: Sequence[Exposure], *, now: float, window: float) -> int:
        added = 0
        with self._lock:
            self._sweep(now=now, window=window)
            for exposure in exposures:
                if exposure.at <= now - window or self._gone(exposure.visitor, exposure.at):
                    continue
                marks = self._live(exposure.visitor, now=now, window=window)
                if marks is None:
                    marks = self._marks[exposure.visitor] = _Marks()
                day = day_of(exposure.at)
                for cohort in exposure.cohorts:
                    if cohort in marks.exposures:
                        continue
                    marks.exposures[cohort] = (exposure.at, exposure.revision)
                    self._add(VISITORS, day, exposure.revision, cohort, None, 1)
                    added += 1
        return added

    def convert(
        self, visitor: str, events: Sequence[ConvertedEvent], *, now: float, window: float
    ) -> int:
        attributed = 0
        with self._lock:
            marks = self._live(visitor, now=now, window=window)
            if marks is None:
                return 0
            for event in events:
                if self._gone(visitor, event.at):
                    continue
                day = day_of(event.at)
                for cohort, (exposed, revision) in marks.exposures.items():
                    if not event.at - window < exposed <= event.at + CLOCK_SKEW_SECONDS:
                        continue
                    for conversion in event.conversions:
                        key = (cohort, conversion.goal)
                        before = marks.totals.get(key)
                        if conversion.binary and before is not None:
                            continue
                        total = before or 0.0
                        after = 1.0 if conversion.binary else total + conversion.value
                        marks.totals[key] = after
                        goal = conversion.goal
                        if before is None:
                            self._add(CONVERTERS, day, revision, cohort, goal, 1)
                        self._add(TOTAL, day, revision, cohort, goal, after - total)
                        self._add(SQUARES, day, revision, cohort, goal, after**2 - total**2)
                        attributed += 1
        return attributed

    def marks(self, visitor: str, *, now: float, window: float) -> list[Mark]:
        with self._lock:
            marks = self._live(visitor, now=now, window=window)
            if marks is None:
                return []
            return [
                Mark(
                    cohort=Cohort.parse(cohort),
                    exposed_at=at,
                    revision=revision,
                    goals={goal: total for (c, goal), total in marks.totals.items() if c == cohort},
                )
                for cohort, (at, revision) in sorted(marks.exposures.items())
            ]

    def erase(self, visitor: str, *, now: float) -> int:
        with self._lock:
            marks = self._marks.pop(visitor, None)
            self._tombstones[visitor] = now
        return len(marks.exposures) if marks else 0

    def take(self) -> Aggregates:
        with self._lock:
            taken, self._aggregates = self._aggregates, {}
        return taken

    def give_back(self, aggregates: Mapping[str, float]) -> None:
        with self._lock:
            aggregates_merge(self._aggregates, aggregates)
