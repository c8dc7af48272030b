"""Reactions to other apps' signals: consent withdrawal, data export and erasure, taxonomy edits."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from consent.signals import consent_changed, subject_data_erase, subject_data_export
from personalization.decision_log import decision_log_erase, decision_log_get
from personalization.engine import NAMESPACE_PURPOSES
from personalization.models import EventType, Placement, Segment, Variant
from personalization.signals.selectors import signals_export
from personalization.signals.services import signals_delete
from personalization.signals.taxonomy import event_taxonomy_forget


@receiver(consent_changed, dispatch_uid="personalization.signals_on_consent_changed")
def signals_on_consent_changed(
    sender: Any, *, subject_id: str, purposes: dict[str, bool], **kwargs: Any
) -> None:
    """Without the purpose signals need, the subject's signals are deleted at once."""
    purpose = NAMESPACE_PURPOSES["signals"]
    if purpose is not None and not purposes.get(purpose):
        signals_delete(subject_id=subject_id)


@receiver(consent_changed, dispatch_uid="personalization.history_on_consent_changed")
def history_on_consent_changed(
    sender: Any, *, subject_id: str, purposes: dict[str, bool], **kwargs: Any
) -> None:
    """The decision history is kept only while personalization is granted."""
    if not purposes.get("personalization"):
        decision_log_erase(subject_id=subject_id)


@receiver(subject_data_export, dispatch_uid="personalization.history_on_export")
def history_on_export(sender: Any, *, subject_id: str, **kwargs: Any) -> dict[str, Any]:
    return {"recent_decisions": _named(decision_log_get(subject_id=subject_id))}


def _named(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history with what people read: placement, variant and segment names, not keys."""
    if not history:
        return history
    placements = dict(Placement.objects.values_list("key", "name"))
    segments = dict(Segment.objects.values_list("key", "name"))
    variants = {
        (placement, key): description
        for placement, key, description in Variant.objects.values_list(
            "placement__key", "key", "description"
        )
        if description
    }
    return [
        {
            **entry,
            "placement_name": placements.get(entry["placement"], entry["placement"]),
            "variant_name": variants.get((entry["placement"], entry["variant"]), entry["variant"]),
            "segment_name": segments.get(entry["segment"], entry["segment"]),
        }
        for entry in history
    ]


@receiver(subject_data_erase, dispatch_uid="personalization.history_on_erase")
def history_on_erase(sender: Any, *, subject_id: str, **kwargs: Any) -> dict[str, int]:
    return {"decision_history": decision_log_erase(subject_id=subject_id)}


@receiver(subject_data_export, dispatch_uid="personalization.signals_on_export")
def signals_on_export(sender: Any, *, subject_id: str, **kwargs: Any) -> dict[str, Any]:
    return {"signals": signals_export(subject_id=subject_id)}


@receiver(subject_data_erase, dispatch_uid="personalization.signals_on_erase")
def signals_on_erase(sender: Any, *, subject_id: str, **kwargs: Any) -> dict[str, int]:
    return {"signals": signals_delete(subject_id=subject_id)}


@receiver(post_save, sender=EventType, dispatch_uid="personalization.taxonomy_on_save")
@receiver(post_delete, sender=EventType, dispatch_uid="personalization.taxonomy_on_delete")
def taxonomy_on_change(sender: Any, **kwargs: Any) -> None:
    # Now for this process; again after commit, in case another process cached the old rows
    # in between.
    event_taxonomy_forget()
    transaction.on_commit(event_taxonomy_forget)
