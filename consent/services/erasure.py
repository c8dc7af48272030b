"""Erasure (GDPR Art. 17): all of a subject goes but the consent proof the policy keeps."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consent.models import ConsentEvent, Subject, SubjectChange, SubjectPreferences
from consent.selectors.export import receiver_name
from consent.services.announce import change_commit
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


def _erase_elsewhere(public_id: str) -> tuple[dict[str, int], list[str]]:
    """What other apps hold (signals, decision history, ...): counts erased, and who failed."""
    erased: dict[str, int] = {}
    failed: list[str] = []
    for receiver, result in subject_data_erase.send_robust(sender=Subject, subject_id=public_id):
        if isinstance(result, Exception) or not isinstance(result, dict):
            logger.warning("%s failed to erase a subject's data.", receiver, exc_info=True)
            failed.append(receiver_name(receiver))
            continue
        for section, count in result.items():
            erased[section] = erased.get(section, 0) + int(count)
    return erased, failed


def subject_erase(*, subject: Subject) -> ErasureReceipt:
    """Erase a subject's data everywhere and return the receipt.

    First what other apps hold, through `subject_data_erase`, while the identity still exists:
    if any part fails, nothing of consent's is erased and the receipt says which part failed,
    so the visitor can simply try again with the same identity. Then, in one transaction, the
    preferences, the consent projection and the account link; the consent events stay as
    pseudonymous proof when `ERASURE_KEEPS_CONSENT_PROOF` is on (the chain remains
    verifiable), else they go too, with the subject itself.

    The erasure is a change of the subject (see `consent.services.announce`): on commit its new
    consent version is published, so nothing decided, pushed or written in flight for an older
    one survives it; the cached state becomes "nobody"; what other apps hold is erased once more
    (anything written between the two passes); open sockets fall back to anonymous. Those
    reactions are retried until they have all happened.
    """
    public_id = subject.public_id
    erased, failed = _erase_elsewhere(public_id)
    if failed:
        return ErasureReceipt(public_id, timezone.now(), erased, {}, tuple(failed))
    kept: dict[str, int] = {}
    with transaction.atomic():
        subject = subject_lock(subject)
        now = timezone.now()
        erased["preferences"], _ = SubjectPreferences.objects.filter(subject=subject).delete()
        erased["consent_state"], _ = subject.consent_states.all().delete()
        events = subject.consent_events.count()
        change_commit(subject=subject, kind=SubjectChange.Kind.ERASURE)
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
    return ErasureReceipt(public_id, now, erased, kept)
