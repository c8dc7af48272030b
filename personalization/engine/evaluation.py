"""Decision evaluation: placement → ordered rules → segment match or experiment split → holdout.

A placement with a holdout serves its default to the held-out share of visitors whenever a rule
would have served them something else (a match or a split). The decision is `DEFAULT`, not
personalized, and `explanation["holdout"]` says which rule, segment, experiment and variant
the visitor was held out of. Held out: the visitor has a subject, granted the holdout's purpose
(measurement), and `hash_unit(holdout.seed, subject_id, 2) < holdout.share`.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from .hashing import choose_variation, hash_unit
from .types import (
    CompiledHoldout,
    CompiledPlacement,
    CompiledRule,
    Decision,
    Reason,
    Snapshot,
    Visitor,
)

logger = logging.getLogger(__name__)

ROLLOUT_HASH_VERSION = 2
HOLDOUT_HASH_VERSION = 2


def decide(placement: CompiledPlacement, visitor: Visitor) -> Decision:
    """Decide one placement for one visitor; never raises (an error serves the default)."""
    try:
        return _decide(placement, visitor)
    except Exception:
        logger.exception("decision for placement %r failed; serving its default", placement.key)
        return _default(placement, Reason.ERROR, {"error": "evaluation failed"})


def decide_many(snapshot: Snapshot, visitor: Visitor, keys: Iterable[str]) -> dict[str, Decision]:
    """Decide the placements named by `keys`, all known to be in the snapshot."""
    placements = snapshot.placements
    return {key: decide(placements[key], visitor) for key in keys}


def _decide(placement: CompiledPlacement, visitor: Visitor) -> Decision:
    if not placement.enabled:
        return _default(placement, Reason.DISABLED, {})
    granted = visitor.granted
    attributes = visitor.attributes
    consent_skipped: list[dict[str, Any]] = []
    for position, rule in enumerate(placement.rules, start=1):
        if not rule.purposes <= granted:
            consent_skipped.append(
                {
                    "rule": position,
                    "segment": rule.segment.key if rule.segment else None,
                    "missing_purposes": sorted(rule.purposes - granted),
                }
            )
            continue
        if rule.segment is not None and not rule.segment.matches(attributes):
            continue
        if rule.rollout < 100 and not _in_rollout(placement.key, rule, visitor.subject_id):
            continue
        if rule.experiment is None:
            assert rule.variant is not None
            variant: str | None = rule.variant
            reason = Reason.TARGETING_MATCH
        else:
            variant = _assign(rule, visitor.subject_id)
            reason = Reason.SPLIT
        if variant is None:
            continue
        if placement.holdout is not None and _held_out(placement.holdout, visitor):
            return _holdout(placement, placement.holdout, rule, position, variant)
        return _served(placement, rule, position, variant, reason, attributes)
    if consent_skipped:
        return _default(placement, Reason.CONSENT_REQUIRED, {"skipped": consent_skipped})
    return _default(placement, Reason.DEFAULT, {})


def _held_out(holdout: CompiledHoldout, visitor: Visitor) -> bool:
    if visitor.subject_id is None:
        return False
    if holdout.required_purpose is not None and holdout.required_purpose not in visitor.granted:
        return False
    n = hash_unit(holdout.seed, visitor.subject_id, HOLDOUT_HASH_VERSION)
    return n is not None and n < holdout.share


def _holdout(
    placement: CompiledPlacement,
    holdout: CompiledHoldout,
    rule: CompiledRule,
    position: int,
    variant: str,
) -> Decision:
    purposes = set(rule.purposes)
    if holdout.required_purpose is not None:
        purposes.add(holdout.required_purpose)
    return _default(
        placement,
        Reason.DEFAULT,
        {
            "holdout": {
                "rule": position,
                "segment": rule.segment.key if rule.segment else None,
                "experiment": rule.experiment.key if rule.experiment else None,
                "variant": variant,
                "purposes": sorted(purposes),
            }
        },
    )


def _in_rollout(placement_key: str, rule: CompiledRule, subject_id: str | None) -> bool:
    # A partial rollout needs a stable unit to hash; anonymous visitors stay out of it.
    if subject_id is None:
        return False
    seed = f"{placement_key}:{rule.segment.key if rule.segment else '*'}"
    n = hash_unit(seed, subject_id, ROLLOUT_HASH_VERSION)
    return n is not None and n < rule.rollout / 100


def _assign(rule: CompiledRule, subject_id: str | None) -> str | None:
    experiment = rule.experiment
    if experiment is None or not experiment.running or subject_id is None:
        return None
    n = hash_unit(experiment.seed, subject_id, experiment.hash_version)
    if n is None:
        return None
    index = choose_variation(n, list(experiment.ranges))
    return experiment.variants[index] if index >= 0 else None


def _served(
    placement: CompiledPlacement,
    rule: CompiledRule,
    position: int,
    variant: str,
    reason: Reason,
    attributes: Mapping[str, Any],
) -> Decision:
    segment = rule.segment
    explanation: dict[str, Any] = {
        "rule": position,
        "segment": segment.key if segment else None,
        "experiment": rule.experiment.key if rule.experiment else None,
        "purposes": sorted(rule.purposes),
        "namespaces": sorted(segment.namespaces) if segment else [],
        # The visitor's own values that made the segment match: what "why am I seeing this" tells.
        "attributes": {path: _lookup(attributes, path) for path in segment.paths}
        if segment
        else {},
    }
    return Decision(
        key=placement.key,
        value=placement.variants[variant],
        variant=variant,
        reason=reason,
        personalized=True,
        explanation=explanation,
    )


def _lookup(attributes: Mapping[str, Any], path: str) -> Any:
    value: Any = attributes
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _default(placement: CompiledPlacement, reason: Reason, extra: dict[str, Any]) -> Decision:
    explanation: dict[str, Any] = {
        "rule": None,
        "segment": None,
        "experiment": None,
        "purposes": [],
        "namespaces": [],
        "attributes": {},
        **extra,
    }
    return Decision(
        key=placement.key,
        value=placement.default,
        variant="default",
        reason=reason,
        personalized=False,
        explanation=explanation,
    )
