"""Writes: configuration changes, and publishing them as revisions that every process swaps to.

The configuration's rows are the *working copy*: the admin saves drafts there. What is live is
the latest revision's document. Publishing composes a new document from the live one and the
working versions of some entries (a placement, a segment, …, plus what they need), so one
marketer's publish never carries another's unpublished draft. The functions below that create
or change one thing (`segment_create`, `placement_set_enabled`, …) publish just that thing.
"""

import contextvars
import copy
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction

from config.broadcast import broadcast
from personalization.engine import compile_snapshot
from personalization.models import (
    AuditEntry,
    ChangeSet,
    Experiment,
    ExperimentArm,
    Placement,
    Revision,
    Rule,
    Segment,
    Variant,
)
from personalization.selectors import config_document
from personalization.snapshot import (
    EMPTY_DOCUMENT,
    REVISIONS_GROUP,
    revision_latest_remember,
    snapshot_activate,
)
from personalization.workspace.documents import (
    Document,
    Entry,
    document_compose,
    entries_changed,
    entries_close,
)
from personalization.workspace.webhooks import webhook_deliveries_enqueue

logger = logging.getLogger(__name__)

Author = AbstractBaseUser | None

# Inside `config_batch`, writes collect the entries they touch and publish once at the end.
_batch: contextvars.ContextVar[list[Entry] | None] = contextvars.ContextVar("batch", default=None)


def audit_record(
    *,
    action: str,
    actor: Author,
    object_type: str,
    object_key: str = "",
    message: str = "",
    change_set: ChangeSet | None = None,
    revision_number: int | None = None,
) -> AuditEntry:
    """One line of the audit log; scheduled work has no actor and reads as "system"."""
    return AuditEntry.objects.create(
        action=action,
        actor_id=getattr(actor, "pk", None),
        actor_name=actor.get_username() if actor is not None else "system",
        object_type=object_type,
        object_key=object_key[:120],
        message=message[:500],
        change_set=change_set,
        revision_number=revision_number,
    )


def _lock_latest() -> Revision | None:
    """Lock the latest revision row: publications queue here, each on top of the one before.

    A publisher that waited may hold a row that is no longer the latest (another revision was
    committed meanwhile): it then locks the new latest, until what it holds is the latest.
    """
    locked = Revision.objects.select_for_update().order_by("-number").first()
    while True:
        latest = Revision.objects.order_by("-number").first()
        if latest is None or (locked is not None and latest.pk == locked.pk):
            return locked
        locked = Revision.objects.select_for_update().get(pk=latest.pk)


def config_working() -> dict[str, Any]:
    """The working copy (the admin's rows) as the document a revision would store."""
    return config_document(revision=0)


def live_document(latest: Revision | None) -> dict[str, Any]:
    return copy.deepcopy(latest.snapshot) if latest is not None else copy.deepcopy(EMPTY_DOCUMENT)


def document_publish(
    *,
    compose: Callable[[Document], Document],
    author: Author,
    message: str,
    change_set: ChangeSet | None = None,
) -> Revision:
    """Publish `compose(live document)` as revision R+1, atomically; processes swap on commit.

    `compose` runs with the latest revision locked, so it builds on what is live at that moment.
    """
    with transaction.atomic():
        latest = _lock_latest()
        number = (latest.number if latest else 0) + 1
        live = live_document(latest)
        document = {**compose(live), "revision": number}
        compile_snapshot(document)  # a document the engine cannot run is never published
        revision = Revision.objects.create(
            number=number,
            author_id=getattr(author, "pk", None),
            message=message[:300],
            snapshot=document,
        )
        if change_set is not None:
            change_set.revision = revision
            change_set.status = ChangeSet.Status.PUBLISHED
            change_set.save(update_fields=["revision", "status"])
        audit_record(
            action=AuditEntry.Action.PUBLISHED,
            actor=author,
            object_type="revision",
            object_key=f"r{number}",
            message=message,
            change_set=change_set,
            revision_number=number,
        )
        webhook_deliveries_enqueue(
            revision=revision,
            payload={
                "event": "revision.published",
                "revision": number,
                "published_at": revision.created_at.isoformat(),
                "author": author.get_username() if author is not None else None,
                "message": revision.message,
                "change_set": change_set.pk if change_set is not None else None,
                "changes": [
                    {"section": section, "key": key}
                    for section, key in entries_changed(live, document)
                ],
            },
        )
        transaction.on_commit(lambda: _announce(revision))
    return revision


def entries_publish(*, entries: Iterable[Entry], author: Author, message: str) -> Revision:
    """Publish the working version of `entries`, with whatever they need to hold together."""
    working = config_working()
    wanted = list(entries)

    def compose(live: Document) -> Document:
        return document_compose(live, working, entries_close(live, working, wanted))

    return document_publish(compose=compose, author=author, message=message)


def revision_publish(
    *, entries: Iterable[Entry] | None = None, author: Author = None, message: str = ""
) -> Revision | None:
    """Publish `entries` now; inside `config_batch`, at the end of the batch (None).

    Without `entries`, the whole working copy is published as R+1, unpublished changes and all
    (even when nothing changed), as before drafts existed: for scripts, not for the admin.
    """
    if entries is None and _batch.get() is None:
        working = config_working()
        return document_publish(compose=lambda live: working, author=author, message=message)
    if entries is None:
        live = live_document(Revision.objects.order_by("-number").first())
        entries = entries_changed(live, config_working())
    pending = _batch.get()
    if pending is not None:
        pending.extend(entries)
        return None
    wanted = list(entries)
    if not wanted:
        return None
    return entries_publish(entries=wanted, author=author, message=message)


@contextmanager
def config_batch(*, author: Author = None, message: str) -> Iterator[None]:
    """Group several writes into one atomic change published as a single revision."""
    with transaction.atomic():
        collected: list[Entry] = []
        token = _batch.set(collected)
        try:
            yield
        finally:
            _batch.reset(token)
        revision_publish(entries=collected, author=author, message=message)


def _announce(revision: Revision) -> None:
    snapshot_activate(revision.snapshot)
    # Neither announcement needs to succeed: other processes also check every period.
    revision_latest_remember(revision.number)
    broadcast(
        REVISIONS_GROUP, {"type": "revision.published", "revision": revision.number}, wait=False
    )


def entries_of(instance: models.Model | None) -> set[Entry]:
    """The document entries a configuration row belongs to."""
    if isinstance(instance, Segment):
        return {("segments", instance.key)}
    if isinstance(instance, Placement):
        return {("placements", instance.key)}
    if isinstance(instance, Variant | Rule):
        return {("placements", instance.placement.key)}
    if isinstance(instance, Experiment):
        return {("experiments", instance.key)}
    if isinstance(instance, ExperimentArm):
        return {("experiments", instance.experiment.key)}
    return set()


def entries_touched(instance: models.Model) -> set[Entry]:
    """Its entries as stored and as changed: a renamed key is a removal and an addition."""
    stored = type(instance)._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    return entries_of(stored) | entries_of(instance)


def _save(instance: models.Model, *, author: Author, message: str) -> None:
    with transaction.atomic():
        instance.full_clean()
        entries = entries_touched(instance)
        instance.save()
        revision_publish(entries=sorted(entries), author=author, message=message)


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
    client_evaluable: bool = False,
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
        client_evaluable=client_evaluable,
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
    """The kill switch: only the placement's on/off goes live, at once; its other drafts wait."""
    verb = "Enabled" if enabled else "Disabled"
    with transaction.atomic():
        placement.enabled = enabled
        placement.save(update_fields=["enabled", "updated_at"])

        def compose(live: Document) -> Document:
            document = copy.deepcopy(dict(live))
            if placement.key in document.get("placements", {}):
                document["placements"][placement.key]["enabled"] = enabled
            return document

        document_publish(
            compose=compose, author=author, message=f"{verb} placement {placement.key}"
        )


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
        entries = entries_touched(instance)
        instance.delete()
        revision_publish(entries=sorted(entries), author=author, message=f"Deleted {label}")


def revision_rollback(*, revision: Revision, author: Author = None) -> Revision:
    """Publish the whole configuration as `revision` had it, as a new revision."""
    from personalization.workspace.rollback import rollback_publish

    return rollback_publish(revision=revision, placement=None, actor=author)
