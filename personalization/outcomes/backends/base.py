"""The outcome store interface: per-visitor marks for the attribution window, and aggregates
waiting to be rolled up into the database.

A visitor is a keyed hash of their subject id (see `personalization.stats.services`), never the
id itself. For each cohort a visitor enters, a mark holds when (and at which revision) they
entered it, and per goal the running total of their value; the mark counts for the attribution
window after that exposure and is then pruned (the whole key expires a window after the
visitor's last exposure). Aggregates carry no visitor at all: per day, revision and cohort the
number of visitors who entered it, per day, revision, cohort and goal the converting visitors
and the sum and sum of squares of per-visitor values. The revision is the one the visitor was
first exposed at, so a report can count only what was served since a configuration changed. A
visitor counts again in a cohort once their mark is gone.

After an erasure or a withdrawal, a tombstone (the keyed hash and the time, for
`TOMBSTONE_SECONDS`) makes the store ignore whatever another process still had pending for
that visitor from before.
"""

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from personalization.outcomes.cohorts import Cohort

WINDOW_MAX_SECONDS = 7 * 24 * 3600
# Pending exposures older than this are dropped rather than recorded, so no tombstone needs to
# outlive it.
TOMBSTONE_SECONDS = 3600
FIELD_SEPARATOR = "#"
VISITORS, CONVERTERS, TOTAL, SQUARES = "v", "c", "s", "q"
INTEGER_FIELDS = frozenset({VISITORS, CONVERTERS})


class OutcomeStoreError(Exception):
    """The store could not be reached."""


@dataclass(frozen=True, slots=True)
class Exposure:
    """A visitor entered `cohorts` at `at` (seconds since the epoch), served at `revision`."""

    visitor: str
    at: float
    revision: int
    cohorts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Conversion:
    """One goal's conversion in an event: `value` is 1 for a conversion-rate goal."""

    goal: int
    value: float
    binary: bool


@dataclass(frozen=True, slots=True)
class ConvertedEvent:
    """The goals one event converted, and when it happened."""

    at: float
    conversions: tuple[Conversion, ...]


# Field → amount: "v#<day>#<revision>#<cohort>", and "c|s|q#<day>#<revision>#<cohort>#<goal>".
type Aggregates = dict[str, float]


class AggregateRow(NamedTuple):
    measure: str
    day: date
    revision: int
    cohort: Cohort
    goal: int | None
    amount: float


def day_of(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()


def aggregate_field(
    measure: str, day: str, revision: int, cohort: str, goal: int | None = None
) -> str:
    parts = [measure, day, str(revision), cohort]
    return FIELD_SEPARATOR.join(parts if goal is None else [*parts, str(goal)])


def aggregate_rows(aggregates: Mapping[str, float]) -> list[AggregateRow]:
    """The aggregates as rows; a field that does not parse is dropped."""
    rows = []
    for field, amount in aggregates.items():
        parts = field.split(FIELD_SEPARATOR)
        try:
            measure, day, revision = parts[0], date.fromisoformat(parts[1]), int(parts[2])
            cohort = Cohort.parse(parts[3])
            goal = int(parts[4]) if len(parts) == 5 else None
        except (IndexError, ValueError):
            continue
        if (goal is None) != (measure == VISITORS) or not math.isfinite(amount):
            continue
        rows.append(AggregateRow(measure, day, revision, cohort, goal, amount))
    return rows


def aggregates_merge(into: Aggregates, more: Mapping[str, float]) -> Aggregates:
    for field, amount in more.items():
        into[field] = into.get(field, 0.0) + amount
    return into


@dataclass(frozen=True, slots=True)
class Mark:
    """A live exposure mark, as the visitor's data export shows it."""

    cohort: Cohort
    exposed_at: float
    revision: int
    goals: dict[int, float]

    def as_dict(self, goal_keys: Mapping[int, str]) -> dict[str, Any]:
        cohort = self.cohort
        return {
            "kind": cohort.kind.value,
            "placement": cohort.placement,
            "experiment": cohort.experiment or None,
            "segment": cohort.segment or None,
            "variant": cohort.variant or None,
            "holdout": cohort.holdout,
            "exposed_at": datetime.fromtimestamp(self.exposed_at, UTC).isoformat(),
            "revision": self.revision,
            "goals": {
                goal_keys.get(goal, str(goal)): total for goal, total in sorted(self.goals.items())
            },
        }


class BaseOutcomeStore(ABC):
    """Per-visitor marks (short-lived) and pending aggregates, shared by every process."""

    @abstractmethod
    def expose(self, exposures: Sequence[Exposure], *, now: float, window: float) -> int:
        """Mark each exposure's cohorts the visitor is not in yet (counting them as visitors);
        the number of new marks. Exposures older than the window, or from before an erasure,
        are ignored."""

    @abstractmethod
    def convert(
        self, visitor: str, events: Sequence[ConvertedEvent], *, now: float, window: float
    ) -> int:
        """Attribute each event's conversions to the visitor's cohorts exposed within the window
        before it; the number of (cohort, goal) attributions. An exposure up to the taxonomy's
        `CLOCK_SKEW_SECONDS` after the event counts too: its time is the server's, the event's
        the browser's."""

    @abstractmethod
    def marks(self, visitor: str, *, now: float, window: float) -> list[Mark]:
        """The visitor's live marks."""

    @abstractmethod
    def erase(self, visitor: str, *, now: float) -> int:
        """Delete the visitor's marks and leave a tombstone; the number of marks deleted."""

    @abstractmethod
    def take(self) -> Aggregates:
        """Remove and return the pending aggregates (atomically: a concurrent call gets the
        rest)."""

    @abstractmethod
    def give_back(self, aggregates: Mapping[str, float]) -> None:
        """Add aggregates back (a rollup that could not reach the database)."""
