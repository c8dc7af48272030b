"""Restore rows of the working copy from a configuration document (a discarded draft, a rollback).

Rows are matched by key, so admin links to segments and placements stay valid.
"""

from collections.abc import Iterable

from personalization.models import Experiment, ExperimentArm, Placement, Rule, Segment, Variant
from personalization.services import config_working
from personalization.workspace.documents import Document, Entry, entries_close


def entries_restore(*, document: Document, entries: Iterable[Entry] | None) -> list[Entry]:
    """Make the working copy's `entries` what `document` has (all of them when None), with
    whatever they need to hold together; the entries restored."""
    working = config_working()
    if entries is None:
        chosen = list({*_all_entries(working), *_all_entries(document)})
    else:
        chosen = entries_close(working, document, entries)
    _rows_restore(document, chosen)
    return chosen


def _all_entries(document: Document) -> list[Entry]:
    return [
        (section, key)
        for section in ("segments", "placements", "experiments")
        for key in document.get(section) or {}
    ]


def _rows_restore(document: Document, entries: Iterable[Entry]) -> None:
    # Rows are matched by key so that admin links to segments and placements stay valid. What
    # references others goes first and comes back last: rules, then arms.
    keys: dict[str, set[str]] = {"segments": set(), "placements": set(), "experiments": set()}
    for section, key in entries:
        keys.setdefault(section, set()).add(key)
    segments_doc = document.get("segments") or {}
    placements_doc = document.get("placements") or {}
    experiments_doc = document.get("experiments") or {}
    Rule.objects.filter(placement__key__in=keys["placements"]).delete()
    ExperimentArm.objects.filter(experiment__key__in=keys["experiments"]).delete()
    Experiment.objects.filter(key__in=keys["experiments"] - set(experiments_doc)).delete()
    Placement.objects.filter(key__in=keys["placements"] - set(placements_doc)).delete()
    Segment.objects.filter(key__in=keys["segments"] - set(segments_doc)).delete()
    for key in keys["segments"] & set(segments_doc):
        data = segments_doc[key]
        Segment.objects.update_or_create(
            key=key,
            defaults={
                "name": data["name"],
                "description": data.get("description", ""),
                "condition": data["condition"],
            },
        )
    for key in keys["placements"] & set(placements_doc):
        data = placements_doc[key]
        placement, _ = Placement.objects.update_or_create(
            key=key,
            defaults={
                "name": data["name"],
                "description": data.get("description", ""),
                "value_type": data["value_type"],
                "default_value": data["default"],
                "enabled": data["enabled"],
                "holdout_percentage": (data.get("holdout") or {}).get("percentage", 0.0),
                "client_evaluable": data.get("client_evaluable", False),
            },
        )
        placement.variants.exclude(key__in=data["variants"]).delete()
        for variant_key, variant in data["variants"].items():
            Variant.objects.update_or_create(
                placement=placement,
                key=variant_key,
                defaults={"value": variant["value"], "description": variant.get("description", "")},
            )
    for key in keys["experiments"] & set(experiments_doc):
        data = experiments_doc[key]
        placement = Placement.objects.get(key=data["placement"])
        experiment, _ = Experiment.objects.update_or_create(
            key=key,
            defaults={
                "name": data["name"],
                "placement": placement,
                "status": data["status"],
                "coverage": data["coverage"],
                "seed": data["seed"],
                "hash_version": data["hash_version"],
                "required_purpose": data["required_purpose"],
            },
        )
        for order, arm in enumerate(data["arms"]):
            ExperimentArm.objects.create(
                experiment=experiment,
                variant=placement.variants.get(key=arm["variant"]),
                weight=arm["weight"],
                order=order,
            )
    for key in keys["placements"] & set(placements_doc):
        placement = Placement.objects.get(key=key)
        for rule in placements_doc[key]["rules"]:
            Rule.objects.create(
                placement=placement,
                order=rule["order"],
                segment=Segment.objects.get(key=rule["segment"]) if rule["segment"] else None,
                variant=placement.variants.get(key=rule["variant"]) if rule["variant"] else None,
                experiment=Experiment.objects.get(key=rule["experiment"])
                if rule["experiment"]
                else None,
                rollout_percentage=rule["rollout"],
            )
