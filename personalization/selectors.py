"""Reads of the configuration: the JSON document a revision stores and compiles.

Decisions are not read here: they are served, see `personalization.serving`.
"""

from typing import Any

from personalization.engine.compiler import HOLDOUT_DEFAULT_PURPOSE, HOLDOUT_SEED_PREFIX
from personalization.models import Experiment, Placement, Segment


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
            "client_evaluable": p.client_evaluable,
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
            **_holdout(p),
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


def _holdout(placement: Placement) -> dict[str, Any]:
    """The placement's holdout, when it has one (see `engine.compiler.compile_holdout`)."""
    if not placement.holdout_percentage:
        return {}
    return {
        "holdout": {
            "percentage": placement.holdout_percentage,
            "seed": f"{HOLDOUT_SEED_PREFIX}{placement.key}",
            "required_purpose": HOLDOUT_DEFAULT_PURPOSE,
        }
    }
