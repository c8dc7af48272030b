"""Writes: every configuration change is saved and published as a new revision on commit."""

import contextvars
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction

from config.broadcast import broadcast
from personalization.models import (
    Experiment,
    ExperimentArm,
    Placement,
    Revision,
    Rule,
    Segment,
    Variant,
)
from personalization.selectors import config_document
from personalization.snapshot import REVISIONS_GROUP, revision_latest_remember, snapshot_activate

logger = logging.getLogger(__name__)

Author = AbstractBaseUser | None

# Inside `config_batch`, writes publish once at the end instead of once each.
_batch: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("batch", default=None)


def revision_publish(*, author: Author = None, message: str = "") -> Revision | None:
    """Snapshot the whole configuration as revision R+1; every process swaps to it on commit.

    Inside `config_batch` the publication is deferred to the end of the batch (None).
    """
    pending = _batch.get()
    if pending is not None:
        pending.append(message)
        return None
    with transaction.atomic():
        latest = Revision.objects.select_for_update().order_by("-number").first()
        number = (latest.number if latest else 0) + 1
        revision = Revision.objects.create(
            number=number,
            author_id=getattr(author, "pk", None),
            message=message[:300],
            snapshot=config_document(revision=number),
        )
        transaction.on_commit(lambda: _announce(revision))
    return revision


@contextmanager
def config_batch(*, author: Author = None, message: str) -> Iterator[None]:
    """Group several writes into one atomic change published as a single revision."""
    with transaction.atomic():
        token = _batch.set([])
        try:
            yield
        finally:
            _batch.reset(token)
        revision_publish(author=author, message=message)


def _announce(revision: Revision) -> None:
    snapshot_activate(revision.snapshot)
    # Neither announcement needs to succeed: other processes also check every period.
    revision_latest_remember(revision.number)
    broadcast(
        REVISIONS_GROUP, {"type": "revision.published", "revision": revision.number}, wait=False
    )


def _save(instance: models.Model, *, author: Author, message: str) -> None:
    with transaction.atomic():
        instance.full_clean()
        instance.save()
        revision_publish(author=author, message=message)


def segment_create(
    *,
    key: str,
    name: str,
    condition: Mapping[str, Any],
    description: str = "",
    author: Author = None,
) -> Segment:
    segment = Segment(key=key, name=name, condition=dict(condition), description=description)
    _save(segment, author=author, message=f"Created segment {key}")
    return segment


def segment_update(
    *,
    segment: Segment,
    name: str | None = None,
    condition: Mapping[str, Any] | None = None,
    description: str | None = None,
    author: Author = None,
) -> Segment:
    if name is not None:
        segment.name = name
    if condition is not None:
        segment.condition = dict(condition)
    if description is not None:
        segment.description = description
    _save(segment, author=author, message=f"Changed segment {segment.key}")
    return segment


def placement_create(
    *,
    key: str,
    name: str,
    value_type: str,
    default_value: Any,
    variants: Mapping[str, Any] | None = None,
    enabled: bool = True,
    description: str = "",
    value_schema: Mapping[str, Any] | None = None,
    preview_template: str = "",
    author: Author = None,
) -> Placement:
    placement = Placement(
        key=key,
        name=name,
        value_type=value_type,
        default_value=default_value,
        enabled=enabled,
        description=description,
        value_schema=dict(value_schema) if value_schema is not None else None,
        preview_template=preview_template,
    )
    with config_batch(author=author, message=f"Created placement {key}"):
        _save(placement, author=author, message="")
        for variant_key, value in (variants or {}).items():
            _save(
                Variant(placement=placement, key=variant_key, value=value),
                author=author,
                message="",
            )
    return placement


def placement_set_enabled(*, placement: Placement, enabled: bool, author: Author = None) -> None:
    placement.enabled = enabled
    verb = "Enabled" if enabled else "Disabled"
    _save(placement, author=author, message=f"{verb} placement {placement.key}")


def rule_create(
    *,
    placement: Placement,
    segment: Segment | None = None,
    variant: str | None = None,
    experiment: Experiment | None = None,
    order: int | None = None,
    rollout_percentage: float = 100.0,
    author: Author = None,
) -> Rule:
    if order is None:
        last = placement.rules.order_by("-order").values_list("order", flat=True).first()
        order = (last or 0) + 10
    rule = Rule(
        placement=placement,
        order=order,
        segment=segment,
        variant=placement.variants.filter(key=variant).first() if variant else None,
        experiment=experiment,
        rollout_percentage=rollout_percentage,
    )
    target = variant or (experiment.key if experiment else "?")
    _save(
        rule, author=author, message=f"Added rule {segment or 'everyone'} → {target} to {placement}"
    )
    return rule


def experiment_create(
    *,
    key: str,
    name: str,
    placement: Placement,
    arms: Sequence[tuple[str, float]],
    status: str = Experiment.Status.DRAFT,
    coverage: float = 1.0,
    seed: str = "",
    hash_version: int = 2,
    required_purpose: str = "measurement",
    author: Author = None,
) -> Experiment:
    experiment = Experiment(
        key=key,
        name=name,
        placement=placement,
        status=status,
        coverage=coverage,
        seed=seed,
        hash_version=hash_version,
        required_purpose=required_purpose,
    )
    with config_batch(author=author, message=f"Created experiment {key}"):
        _save(experiment, author=author, message="")
        for order, (variant_key, weight) in enumerate(arms):
            variant = placement.variants.get(key=variant_key)
            arm = ExperimentArm(experiment=experiment, variant=variant, weight=weight, order=order)
            _save(arm, author=author, message="")
    return experiment


def config_delete(*, instance: models.Model, author: Author = None) -> None:
    with transaction.atomic():
        label = f"{instance._meta.verbose_name} {instance}"
        instance.delete()
        revision_publish(author=author, message=f"Deleted {label}")


def revision_rollback(*, revision: Revision, author: Author = None) -> Revision:
    """Restore the configuration of `revision` and publish it as a new revision."""
    with transaction.atomic():
        _config_restore(revision.snapshot)
        published = revision_publish(author=author, message=f"Rolled back to r{revision.number}")
    assert published is not None, "a rollback cannot run inside a config_batch"
    return published


def _config_restore(document: Mapping[str, Any]) -> None:
    # Rows are matched by key so that admin links to segments and placements stay valid.
    Rule.objects.all().delete()
    ExperimentArm.objects.all().delete()
    Segment.objects.exclude(key__in=document["segments"]).delete()
    segments = {}
    for key, data in document["segments"].items():
        segments[key], _ = Segment.objects.update_or_create(
            key=key,
            defaults={
                "name": data["name"],
                "description": data.get("description", ""),
                "condition": data["condition"],
            },
        )
    Placement.objects.exclude(key__in=document["placements"]).delete()
    placements: dict[str, Placement] = {}
    variants: dict[tuple[str, str], Variant] = {}
    for key, data in document["placements"].items():
        placement, _ = Placement.objects.update_or_create(
            key=key,
            defaults={
                "name": data["name"],
                "description": data.get("description", ""),
                "value_type": data["value_type"],
                "default_value": data["default"],
                "enabled": data["enabled"],
                "holdout_percentage": (data.get("holdout") or {}).get("percentage", 0.0),
            },
        )
        placements[key] = placement
        placement.variants.exclude(key__in=data["variants"]).delete()
        for variant_key, variant in data["variants"].items():
            variants[key, variant_key], _ = Variant.objects.update_or_create(
                placement=placement,
                key=variant_key,
                defaults={"value": variant["value"], "description": variant.get("description", "")},
            )
    Experiment.objects.exclude(key__in=document["experiments"]).delete()
    experiments: dict[str, Experiment] = {}
    for key, data in document["experiments"].items():
        experiment, _ = Experiment.objects.update_or_create(
            key=key,
            defaults={
                "name": data["name"],
                "placement": placements[data["placement"]],
                "status": data["status"],
                "coverage": data["coverage"],
                "seed": data["seed"],
                "hash_version": data["hash_version"],
                "required_purpose": data["required_purpose"],
            },
        )
        experiments[key] = experiment
        for order, arm in enumerate(data["arms"]):
            ExperimentArm.objects.create(
                experiment=experiment,
                variant=variants[data["placement"], arm["variant"]],
                weight=arm["weight"],
                order=order,
            )
    for key, data in document["placements"].items():
        for rule in data["rules"]:
            Rule.objects.create(
                placement=placements[key],
                order=rule["order"],
                segment=segments[rule["segment"]] if rule["segment"] else None,
                variant=variants[key, rule["variant"]] if rule["variant"] else None,
                experiment=experiments[rule["experiment"]] if rule["experiment"] else None,
                rollout_percentage=rule["rollout"],
            )
