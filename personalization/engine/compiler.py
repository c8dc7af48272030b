"""Compile a revision's snapshot document into the engine's immutable, ready-to-run form."""

from collections.abc import Iterable, Mapping
from typing import Any

from .conditions import compile_condition, condition_paths
from .hashing import bucket_ranges
from .types import (
    NAMESPACE_PURPOSES,
    CompiledExperiment,
    CompiledHoldout,
    CompiledPlacement,
    CompiledRule,
    CompiledSegment,
    Snapshot,
    ValueType,
)

NECESSARY = "necessary"
HOLDOUT_SEED_PREFIX = "holdout:"
HOLDOUT_DEFAULT_PURPOSE = "measurement"


def condition_manifest(condition: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """Which attribute namespaces a condition reads, and so which purposes it needs."""
    namespaces = frozenset(path.split(".", 1)[0] for path in condition_paths(dict(condition)))
    return namespaces, purposes_for(namespaces)


def purposes_for(namespaces: Iterable[str]) -> frozenset[str]:
    return frozenset(
        purpose for ns in namespaces if (purpose := NAMESPACE_PURPOSES.get(ns)) is not None
    )


def compile_segment(key: str, condition: Mapping[str, Any]) -> CompiledSegment:
    namespaces, purposes = condition_manifest(condition)
    return CompiledSegment(
        key=key,
        matches=compile_condition(dict(condition)),
        paths=tuple(sorted(condition_paths(dict(condition)))),
        namespaces=namespaces,
        purposes=purposes,
    )


def compile_experiment(key: str, data: Mapping[str, Any]) -> CompiledExperiment:
    arms = data["arms"]
    weights = [float(arm["weight"]) for arm in arms]
    required = data.get("required_purpose") or None
    return CompiledExperiment(
        key=key,
        seed=data.get("seed") or key,
        hash_version=int(data.get("hash_version", 2)),
        variants=tuple(arm["variant"] for arm in arms),
        ranges=tuple(bucket_ranges(len(arms), float(data.get("coverage", 1.0)), weights)),
        required_purpose=required,
        running=data.get("status") == "running",
    )


def compile_holdout(placement_key: str, data: Mapping[str, Any] | None) -> CompiledHoldout | None:
    """A placement's holdout, or None when it has none (absent, null or 0 %).

    `{"percentage": 5, "seed": "holdout:home-hero", "required_purpose": "measurement"}`; the seed
    defaults to "holdout:" + the placement key, the purpose to measurement (null: none needed).
    """
    if not data:
        return None
    share = float(data.get("percentage", 0)) / 100
    if not share > 0:
        return None
    required = data.get("required_purpose", HOLDOUT_DEFAULT_PURPOSE) or None
    return CompiledHoldout(
        share=min(share, 1.0),
        seed=data.get("seed") or f"{HOLDOUT_SEED_PREFIX}{placement_key}",
        required_purpose=required,
    )


def compile_snapshot(document: Mapping[str, Any]) -> Snapshot:
    """Build a Snapshot from the JSON document stored with a revision (see snapshot.py)."""
    segments = {
        key: compile_segment(key, seg["condition"]) for key, seg in document["segments"].items()
    }
    experiments = {
        key: compile_experiment(key, exp) for key, exp in document["experiments"].items()
    }
    placements: dict[str, CompiledPlacement] = {}
    for key, data in document["placements"].items():
        rules = []
        for rule in sorted(data["rules"], key=lambda r: r["order"]):
            segment = segments[rule["segment"]] if rule.get("segment") else None
            experiment = experiments[rule["experiment"]] if rule.get("experiment") else None
            purposes = set(segment.purposes if segment else ())
            if experiment and experiment.required_purpose:
                purposes.add(experiment.required_purpose)
            purposes.discard(NECESSARY)
            rules.append(
                CompiledRule(
                    order=int(rule["order"]),
                    segment=segment,
                    variant=rule.get("variant"),
                    experiment=experiment,
                    rollout=float(rule.get("rollout", 100)),
                    purposes=frozenset(purposes),
                )
            )
        placements[key] = CompiledPlacement(
            key=key,
            value_type=ValueType(data["value_type"]),
            default=data["default"],
            enabled=bool(data["enabled"]),
            variants={name: v["value"] for name, v in data["variants"].items()},
            rules=tuple(rules),
            holdout=compile_holdout(key, data.get("holdout")),
        )
    return Snapshot(revision=int(document["revision"]), placements=placements)
