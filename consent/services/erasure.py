"""Erasure (GDPR Art. 17): all of a subject goes but the consent proof the policy keeps."""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consent.models import ConsentEvent, Subject, SubjectPreferences
from consent.selectors.export import receiver_name
from consent.services.announce import record_forget, subject_message
from consent.services.consent import subject_lock
from consent.signals import subject_data_erase

logger = logging.getLogger(__name__)


def erasure_keeps_consent_proof() -> bool:
    """The operator's policy: keep the consent events (pseudonymous proof) after an erasure."""
    return bool(settings.TACTFUL["ERASURE_KEEPS_CONSENT_PROOF"])


@dataclass(frozen=True, slots=True)
class ErasureReceipt:
    """What an erasure removed, what it kept and why, and what could not be erased."""

    subject_id: str
    at: datetime
    erased: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    failed: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject_id,
            "at": self.at.isoformat(),
            "complete": self.complete,
            "erased": self.erased,
            "kept": self.kept,
            "failed": list(self.failed),
        }


def _erased(subject_id: str) -> None:
    # After commit: a stale token now reads as nobody, and open sockets close or reset.
    record_forget(subject_id=subject_id)
    subject_message(subject_id=subject_id, message={"type": "subject.erased"})


def subject_erase(*, subject: Subject) -> ErasureReceipt:
    """Erase a subject's data everywhere and return the receipt.

    Other apps erase what they hold through `subject_data_erase` first. If any of them fails,
    nothing of consent's is erased and the receipt says which part failed, so the visitor can
    simply try again with the same identity. Otherwise the preferences, the consent projection,
    the cached state and the account link go; the consent events stay as pseudonymous proof
    when `ERASURE_KEEPS_CONSENT_PROOF` is on (the chain remains verifiable), else they go too,
    with the subject itself.
    """
    public_id = subject.public_id
    erased: dict[str, int] = {}
    failed: list[str] = []
    for receiver, result in subject_data_erase.send_robust(sender=Subject, subject_id=public_id):
        if isinstance(result, Exception) or not isinstance(result, dict):
            logger.warning("%s failed to erase a subject's data.", receiver, exc_info=True)
            failed.append(receiver_name(receiver))
            continue
        for section, count in result.items():
            erased[section] = erased.get(section, 0) + int(count)
    if failed:
        return ErasureReceipt(public_id, timezone.now(), erased, {}, tuple(failed))
    kept: dict[str, int] = {}
    with transaction.atomic():
        subject = subject_lock(subject)
        now = timezone.now()
        erased["preferences"], _ = SubjectPreferences.objects.filter(subject=subject).delete()
        erased["consent_state"], _ = subject.consent_states.all().delete()
        events = subject.consent_events.count()
        if erasure_keeps_consent_proof():
            kept["consent_events"] = events
            subject.user = None
            subject.erased_at = now
            subject.save(update_fields=["user", "erased_at"])
        else:
            erased["consent_events"] = ConsentEvent.objects.erase_whole_chains(
                Subject.objects.filter(pk=subject.pk)
            )
            subject.delete()
        erased["cached_state"] = 1
        transaction.on_commit(partial(_erased, public_id))
    return ErasureReceipt(public_id, now, erased, kept)
