"""Reactions to consent and data requests (marks erased, exported) and to goal edits."""

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from consent.signals import consent_changed, subject_data_erase, subject_data_export
from personalization.outcomes.models import Goal
from personalization.outcomes.selectors import goals_forget, marks_export
from personalization.outcomes.services import MEASUREMENT, outcomes_erase


@receiver(consent_changed, dispatch_uid="personalization.outcomes_on_consent_changed")
def outcomes_on_consent_changed(
    sender: Any, *, subject_id: str, purposes: dict[str, bool], **kwargs: Any
) -> None:
    """Without measurement, the subject's exposure marks are deleted at once (a store failure
    raises, and consent's outbox runs this again until it succeeds)."""
    if not purposes.get(MEASUREMENT):
        outcomes_erase(subject_id=subject_id)


@receiver(subject_data_export, dispatch_uid="personalization.outcomes_on_export")
def outcomes_on_export(sender: Any, *, subject_id: str, **kwargs: Any) -> dict[str, Any]:
    return {"exposure_marks": marks_export(subject_id=subject_id)}


@receiver(subject_data_erase, dispatch_uid="personalization.outcomes_on_erase")
def outcomes_on_erase(sender: Any, *, subject_id: str, **kwargs: Any) -> dict[str, int]:
    return {"exposure_marks": outcomes_erase(subject_id=subject_id)}


@receiver(post_save, sender=Goal, dispatch_uid="personalization.goals_on_save")
@receiver(post_delete, sender=Goal, dispatch_uid="personalization.goals_on_delete")
def goals_on_change(sender: Any, **kwargs: Any) -> None:
    # Now for this process; again after commit, in case another process cached the old rows.
    goals_forget()
    transaction.on_commit(goals_forget)
