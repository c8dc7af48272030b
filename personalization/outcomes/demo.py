"""The demo's outcomes: a purchase event type with its goals, and simulated visitors who fill
the Results pages in (`manage.py simulate_traffic`), through the same exposure and conversion
paths as real ones."""

import math
import random
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from consent.selectors import ConsentSnapshot
from personalization.engine import Decision, Reason, Visitor, decide_many
from personalization.models import EventType
from personalization.outcomes.backends.base import Conversion, ConvertedEvent
from personalization.outcomes.models import Goal
from personalization.outcomes.services import (
    conversions_apply,
    exposures_flush,
    exposures_record,
    goal_create,
    outcomes_rollup,
)
from personalization.snapshot import snapshot_current

PURCHASE = "purchase"
REVENUE = "revenue"
DAY = 24 * 3600
PURPOSES = {"necessary": True, "personalization": True, "measurement": True}
INTERESTS = ("outdoor", "running", "city")


def demo_goals_seed() -> list[str]:
    """The storefront's `purchase` event type and its goals; what was created."""
    created = []
    event, new = EventType.objects.get_or_create(
        key=PURCHASE,
        defaults={
            "description": "A product was bought (the demo's Buy button).",
            "properties": ["product", "category"],
            "measures": [REVENUE],
        },
    )
    if new:
        created.append(f"event type {PURCHASE}")
    if not Goal.objects.filter(key=PURCHASE).exists():
        goal_create(
            key=PURCHASE,
            name="Purchase",
            event_type=event,
            description="Visitors who bought anything.",
        )
        created.append(f"goal {PURCHASE}")
    if not Goal.objects.filter(key=REVENUE).exists() and REVENUE in (event.measures or []):
        goal_create(
            key=REVENUE,
            name="Revenue per visitor",
            event_type=event,
            metric=Goal.Metric.VALUE,
            value_property=REVENUE,
            description="What a visitor spent, in euros.",
        )
        created.append(f"goal {REVENUE}")
    return created


@dataclass(frozen=True, slots=True)
class Effects:
    """The simulated truth: the base purchase rate and relative lifts of what was served."""

    base_rate: float = 0.05
    # Relative lift of the purchase rate for a visitor who is shown this (placement, variant).
    variant_lifts: Mapping[tuple[str, str], float] | None = None
    # Relative lift for any personalized decision of this placement (rules, not experiments).
    personalized_lifts: Mapping[str, float] | None = None


DEMO_EFFECTS = Effects(
    variant_lifts={("free-shipping-banner", "on"): 0.20},
    personalized_lifts={"home-hero": 0.15, "recommendations": 0.10},
)


@dataclass(frozen=True, slots=True)
class Simulated:
    visitors: int
    purchases: int
    revision: int


def _visitor_attributes(rng: random.Random) -> dict[str, Mapping[str, Any]]:
    context: dict[str, Any] = {"page": "home", "device": rng.choice(["mobile", "desktop"])}
    if rng.random() < 0.1:
        context["utm_campaign"] = "spring-sale"
    interests = [interest for interest in INTERESTS if rng.random() < 0.2]
    shoes = 3 if rng.random() < 0.25 else 0
    return {
        "context": context,
        "prefs": {"interests": interests},
        "signals": {"product_view": {"category": {"shoes": {"count_30m": shoes}}}},
    }


def _rate(decisions: Mapping[str, Decision], effects: Effects) -> float:
    lift = 1.0
    for decision in decisions.values():
        lift *= 1 + (effects.variant_lifts or {}).get((decision.key, decision.variant or ""), 0)
        if decision.reason is Reason.TARGETING_MATCH:
            lift *= 1 + (effects.personalized_lifts or {}).get(decision.key, 0)
    return min(1.0, effects.base_rate * lift)


def traffic_simulate(
    *,
    visitors_per_day: int,
    days: int,
    seed: int | None = None,
    effects: Effects = DEMO_EFFECTS,
    now: float | None = None,
) -> Simulated:
    """Simulate measured visitors over the last `days` days: each is decided on the current
    revision (every placement, with made-up context, interests and shoe views), exposed, and
    may buy, more often where the simulated effects say; then the aggregates are rolled up.
    The visitors are random ids, never subjects in the database."""
    rng = random.Random(seed)
    now = time.time() if now is None else now
    snapshot = snapshot_current()
    keys = list(snapshot.placements)
    goals = {goal.key: goal for goal in Goal.objects.filter(key__in=[PURCHASE, REVENUE])}
    purchases = 0
    for day in range(days):
        start = now - (days - day) * DAY
        # In time order, as real visitors come: exposures are handed over as time passes.
        for at in sorted(start + rng.random() * (DAY - 600) for _ in range(visitors_per_day)):
            subject_id = f"sim-{secrets.token_hex(8)}"
            consent = ConsentSnapshot(subject_id=subject_id, purposes=PURPOSES)
            visitor = Visitor(subject_id, _visitor_attributes(rng), frozenset(PURPOSES))
            decisions = decide_many(snapshot, visitor, keys)
            exposures_record(
                consent=consent,
                decisions=decisions.values(),
                revision=snapshot.revision,
                now=at,
            )
            if rng.random() >= _rate(decisions, effects):
                continue
            purchases += 1
            conversions = []
            if PURCHASE in goals:
                conversions.append(Conversion(goals[PURCHASE].pk, 1.0, True))
            if REVENUE in goals:
                amount = round(rng.lognormvariate(math.log(80), 0.6), 2)
                conversions.append(Conversion(goals[REVENUE].pk, amount, False))
            bought = at + rng.random() * 600
            conversions_apply(
                subject_id=subject_id,
                events=[ConvertedEvent(bought, tuple(conversions))],
                now=bought,
            )
        exposures_flush(now=start + DAY)
    outcomes_rollup()
    return Simulated(visitors_per_day * days, purchases, snapshot.revision)
