"""Builders for outcome aggregates as the rollup leaves them in the database."""

from datetime import date

from personalization.models import EventType
from personalization.outcomes.cohorts import Cohort as CohortKey
from personalization.outcomes.models import Cohort, CohortDay, Goal, GoalDay
from personalization.outcomes.services import goal_create


def purchase_event() -> EventType:
    event, _ = EventType.objects.get_or_create(
        key="purchase", defaults={"properties": ["product"], "measures": ["revenue"]}
    )
    return event


def goal(key: str = "purchase", **fields: object) -> Goal:
    existing = Goal.objects.filter(key=key).first()
    if existing:
        return existing
    return goal_create(key=key, name=key.title(), event_type=purchase_event(), **fields)  # type: ignore[arg-type]


def cohort(key: CohortKey) -> Cohort:
    found, _ = Cohort.objects.get_or_create(
        kind=key.kind.value,
        placement=key.placement,
        experiment=key.experiment,
        segment=key.segment,
        variant=key.variant,
        holdout=key.holdout,
    )
    return found


def aggregate(
    key: CohortKey,
    day: date,
    *,
    visitors: int,
    goals: dict[Goal, tuple[int, float, float]] | None = None,
    revision: int = 1,
) -> None:
    """A cohort's day: its visitors, and per goal (converters, total, squares)."""
    row = cohort(key)
    CohortDay.objects.create(cohort=row, day=day, revision=revision, visitors=visitors)
    for target, (converters, total, squares) in (goals or {}).items():
        GoalDay.objects.create(
            cohort=row,
            goal=target,
            day=day,
            revision=revision,
            converters=converters,
            total=total,
            squares=squares,
        )


def conversions(goal: Goal, converters: int) -> dict[Goal, tuple[int, float, float]]:
    """A conversion-rate goal's figures: each converter's value is 1."""
    return {goal: (converters, float(converters), float(converters))}
