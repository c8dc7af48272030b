"""Cohorts: the groups a served decision puts a visitor in, and their keys in the stores.

A decision served to a measured visitor puts them in up to three cohorts of its placement:
- `arm`: an experiment's arm (a `SPLIT`), pooled over the rules that run the experiment;
- `rule`: one rule (segment → variant, or segment → experiment), personalized or held out;
- `placement`: the placement as a whole, personalized or held out.
Experiment results compare arms; placement results compare personalized visitors with the
holdout, per rule and overall. A key is the cohort's fields joined by "|" (slugs never hold one).
"""

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from personalization.engine import Decision, Reason

SEPARATOR = "|"
HELD, SERVED = "h", "p"


class Kind(StrEnum):
    ARM = "arm"
    RULE = "rule"
    PLACEMENT = "placement"


@dataclass(frozen=True, slots=True)
class Cohort:
    kind: Kind
    placement: str
    experiment: str = ""
    # The rule's segment; "" for a rule that applies to everyone.
    segment: str = ""
    variant: str = ""
    holdout: bool = False

    @property
    def key(self) -> str:
        return SEPARATOR.join(
            (
                self.kind.value,
                self.placement,
                self.experiment,
                self.segment,
                self.variant,
                HELD if self.holdout else SERVED,
            )
        )

    @classmethod
    def parse(cls, key: str) -> "Cohort":
        kind, placement, experiment, segment, variant, held = key.split(SEPARATOR)
        if held not in (HELD, SERVED):
            raise ValueError(f"not a cohort key: {key!r}")
        return cls(Kind(kind), placement, experiment, segment, variant, held == HELD)


@functools.lru_cache(maxsize=4096)
def _cohort_keys(
    placement: str,
    segment: str,
    experiment: str,
    variant: str,
    holdout: bool,
) -> tuple[str, ...]:
    if holdout:
        # Held out of an experiment rule: the rule's cohort is the experiment's, whatever arm
        # the visitor would have had.
        target_variant = "" if experiment else variant
        return (
            Cohort(Kind.RULE, placement, experiment, segment, target_variant, True).key,
            Cohort(Kind.PLACEMENT, placement, holdout=True).key,
        )
    keys = []
    if experiment:
        keys.append(Cohort(Kind.ARM, placement, experiment, variant=variant).key)
    keys.append(
        Cohort(Kind.RULE, placement, experiment, segment, "" if experiment else variant).key
    )
    keys.append(Cohort(Kind.PLACEMENT, placement).key)
    return tuple(keys)


def decision_cohorts(decision: Decision) -> tuple[str, ...]:
    """The keys of the cohorts a decision puts its visitor in; none for a plain default."""
    explanation = decision.explanation
    if decision.reason is Reason.TARGETING_MATCH or decision.reason is Reason.SPLIT:
        return _cohort_keys(
            decision.key,
            explanation.get("segment") or "",
            explanation.get("experiment") or "",
            decision.variant or "",
            False,
        )
    held = explanation.get("holdout")
    if decision.reason is Reason.DEFAULT and held:
        return _cohort_keys(
            decision.key,
            held.get("segment") or "",
            held.get("experiment") or "",
            held.get("variant") or "",
            True,
        )
    return ()


def cohorts_of(decisions: Iterable[Decision]) -> tuple[str, ...]:
    return tuple(key for decision in decisions for key in decision_cohorts(decision))
