"""Reads: the configuration as a snapshot document, and decisions for a visitor."""

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async

from consent.selectors import ConsentSnapshot, preferences_get
from personalization import metrics
from personalization.engine import NAMESPACE_PURPOSES, Decision, Snapshot, Visitor, decide_many
from personalization.exceptions import UnknownPlacement
from personalization.lifespan import asnapshot_current
from personalization.models import Experiment, Placement, Revision, Segment
from personalization.signals.selectors import signals_allowed, signals_attributes_get
from personalization.signals.windows import SignalWindow
from personalization.snapshot import snapshot_current


def config_document(*, revision: int) -> dict[str, Any]:
    """Everything a marketer configured, as the JSON document a revision stores and compiles."""
    segments = {
        s.key: {"name": s.name, "description": s.description, "condition": s.condition}
        for s in Segment.objects.all()
    }
    experiments = {
        e.key: {
            "name": e.name,
            "placement": e.placement.key,
            "status": e.status,
            "coverage": e.coverage,
            "seed": e.seed,
            "hash_version": e.hash_version,
            "required_purpose": e.required_purpose,
            "arms": [{"variant": a.variant.key, "weight": a.weight} for a in e.arms.all()],
        }
        for e in Experiment.objects.select_related("placement").prefetch_related("arms__variant")
    }
    placements = {
        p.key: {
            "name": p.name,
            "description": p.description,
            "value_type": p.value_type,
            "default": p.default_value,
            "enabled": p.enabled,
            "variants": {
                v.key: {"value": v.value, "description": v.description} for v in p.variants.all()
            },
            "rules": [
                {
                    "order": r.order,
                    "segment": r.segment.key if r.segment else None,
                    "variant": r.variant.key if r.variant else None,
                    "experiment": r.experiment.key if r.experiment else None,
                    "rollout": r.rollout_percentage,
                }
                for r in p.rules.all()
            ],
        }
        for p in Placement.objects.prefetch_related(
            "variants", "rules__segment", "rules__variant", "rules__experiment"
        )
    }
    return {
        "revision": revision,
        "segments": segments,
        "experiments": experiments,
        "placements": placements,
    }


def revision_latest_number() -> int:
    return Revision.objects.order_by("-number").values_list("number", flat=True).first() or 0


@dataclass(frozen=True, slots=True)
class Decisions:
    revision: int
    decisions: dict[str, Decision]


@metrics.decisions_observed
def decision_evaluate(
    *,
    subject_id: str | None,
    granted: Iterable[str],
    attributes: Mapping[str, Mapping[str, Any]],
    placements: Sequence[str] | None = None,
) -> Decisions:
    """Decide `placements` (all when None) for one visitor: where every decision is made.

    A namespace whose purpose is not granted is dropped before the engine sees it; callers load
    `prefs` and `signals` only when `personalization` is granted, so they are never read at all.
    """
    return _decide_on(
        snapshot_current(),
        subject_id=subject_id,
        granted=granted,
        attributes=attributes,
        placements=placements,
    )


def decision_preview(
    *,
    subject_id: str | None,
    granted: Iterable[str],
    attributes: Mapping[str, Mapping[str, Any]],
) -> Decisions:
    """Decide every placement for the admin's sample visitor, as `decision_evaluate` would for a
    real one; served to nobody, so neither counted in the metrics nor on the dashboard."""
    return _decide_on(
        snapshot_current(),
        subject_id=subject_id,
        granted=granted,
        attributes=attributes,
        placements=None,
    )


def _decide_on(
    snapshot: Snapshot,
    *,
    subject_id: str | None,
    granted: Iterable[str],
    attributes: Mapping[str, Mapping[str, Any]],
    placements: Sequence[str] | None,
) -> Decisions:
    keys = list(snapshot.placements) if placements is None else list(dict.fromkeys(placements))
    unknown = [key for key in keys if key not in snapshot.placements]
    if unknown:
        raise UnknownPlacement(unknown)
    allowed = frozenset(granted)
    visitor = Visitor(
        subject_id=subject_id,
        attributes={
            namespace: values
            for namespace, values in attributes.items()
            if namespace in NAMESPACE_PURPOSES
            and (NAMESPACE_PURPOSES[namespace] is None or NAMESPACE_PURPOSES[namespace] in allowed)
        },
        granted=allowed,
    )
    return Decisions(revision=snapshot.revision, decisions=decide_many(snapshot, visitor, keys))


def _prefs_allowed(consent: ConsentSnapshot) -> bool:
    purpose = NAMESPACE_PURPOSES["prefs"]
    return purpose is None or consent.allows(purpose)


def _granted(consent: ConsentSnapshot) -> list[str]:
    return [purpose for purpose, on in consent.purposes.items() if on]


def decision_for_request(
    *, consent: ConsentSnapshot, context: Mapping[str, Any], placements: Sequence[str] | None
) -> Decisions:
    """Decide for an API request: the visitor's consent, the request's context and, only when
    `personalization` is granted, the subject's preferences and signals (cache and store reads,
    no database query)."""
    attributes: dict[str, Mapping[str, Any]] = {"context": context}
    if consent.subject_id is not None and signals_allowed(consent):
        attributes["signals"] = signals_attributes_get(subject_id=consent.subject_id)
    if consent.subject_id is not None and _prefs_allowed(consent):
        attributes["prefs"] = preferences_get(subject_id=consent.subject_id)
    return decision_evaluate(
        subject_id=consent.subject_id,
        granted=_granted(consent),
        attributes=attributes,
        placements=placements,
    )


async def adecision_for_socket(
    *,
    consent: ConsentSnapshot,
    context: Mapping[str, Any],
    placements: Sequence[str] | None,
    signals: SignalWindow | None,
    prefs: Mapping[str, Any] | None,
    revision: int = 0,
) -> Decisions:
    """The async twin of `decision_for_request` for an open socket, which keeps the subject's
    signal window and preferences (read again when they change, see `socket_preferences_get`)
    instead of reading them on every push: a push never leaves the event loop.

    The snapshot is at least at `revision` and is read without blocking the event loop.
    """
    attributes: dict[str, Mapping[str, Any]] = {"context": context}
    if signals is not None and signals_allowed(consent):
        attributes["signals"] = signals.attributes(now=time.time())
    if prefs is not None and consent.subject_id is not None and _prefs_allowed(consent):
        attributes["prefs"] = prefs
    snapshot = await asnapshot_current(at_least=revision)
    started = time.perf_counter()
    result = _decide_on(
        snapshot,
        subject_id=consent.subject_id,
        granted=_granted(consent),
        attributes=attributes,
        placements=placements,
    )
    metrics.decisions_record(
        result.decisions, seconds=time.perf_counter() - started, subject_id=consent.subject_id
    )
    return result


async def socket_preferences_get(*, consent: ConsentSnapshot) -> Mapping[str, Any] | None:
    """The preferences an open socket keeps for `adecision_for_socket`: None unless the subject
    granted their purpose, so they are never read without it."""
    if consent.subject_id is None or not _prefs_allowed(consent):
        return None
    return await sync_to_async(preferences_get)(subject_id=consent.subject_id)
