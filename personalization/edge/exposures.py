"""Exposures of decisions made at the edge: what edges report, recorded as the origin's own.

An edge decides without a database, so what it served a measured subject (experiment arms,
rules, holdouts) reaches the outcomes only when it reports it: in batches, with its edge key.
Each is recorded through `exposures_record`, the serving seam's own step, after consent is
checked again here — a withdrawal the edge's token did not know of yet wins.
"""

from typing import Any

from consent.selectors import consent_resolve
from personalization.engine import Decision, Reason
from personalization.outcomes.services import exposures_flush, exposures_record

MEASUREMENT = "measurement"


def edge_decision(data: dict[str, Any]) -> Decision:
    """The part of a decision that says which cohorts it puts its visitor in."""
    explanation: dict[str, Any] = {
        "segment": data.get("segment"),
        "experiment": data.get("experiment"),
    }
    if data.get("holdout"):
        explanation["holdout"] = data["holdout"]
    reason = Reason(data["reason"])
    return Decision(
        key=data["placement"],
        value=None,
        variant=data["variant"],
        reason=reason,
        personalized=reason in (Reason.TARGETING_MATCH, Reason.SPLIT),
        explanation=explanation,
    )


def edge_exposures_record(*, exposures: list[dict[str, Any]]) -> tuple[int, int]:
    """Record a batch an edge reported; (recorded, dropped: measurement no longer granted)."""
    recorded = dropped = 0
    for exposure in exposures:
        consent = consent_resolve(subject_id=exposure["subject"])
        if not consent.allows(MEASUREMENT):
            dropped += 1
            continue
        exposures_record(
            consent=consent,
            decisions=[edge_decision(d) for d in exposure["decisions"]],
            revision=exposure["revision"],
        )
        recorded += 1
    # A batch is already the edge's cadence: hand it to the outcome store now.
    exposures_flush()
    return recorded, dropped
