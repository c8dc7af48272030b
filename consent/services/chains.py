"""Sealing consent chains again under the current chain key, after the key was rotated."""

from collections import Counter
from enum import StrEnum

from django.db import transaction

from consent.chain import event_seal, head_seal
from consent.models import ConsentEvent, Subject
from consent.selectors import subject_chain_verify
from consent.services.consent import subject_lock


class Reseal(StrEnum):
    RESEALED = "resealed"
    CURRENT = "current"
    REFUSED = "refused"


def chain_reseal(*, subject: Subject) -> Reseal:
    """Seal a subject's events and head under the current key, if its verification holds.

    A chain that fails verification is left as it is (REFUSED): sealing it again would launder
    the tampering. Hashes and content never change, only seals.
    """
    with transaction.atomic():
        subject = subject_lock(subject)
        if not subject_chain_verify(subject=subject).ok:
            return Reseal.REFUSED
        stale = []
        for event in subject.consent_events.order_by("sequence"):
            seal = event_seal(event_hash=event.hash)
            if event.seal != seal:
                event.seal = seal
                stale.append(event)
        ConsentEvent.objects.seals_replace(stale)
        head = head_seal(
            subject_id=subject.public_id, length=subject.chain_length, last_hash=subject.chain_head
        )
        if head == subject.chain_seal and not stale:
            return Reseal.CURRENT
        Subject.objects.filter(pk=subject.pk).update(chain_seal=head)
        return Reseal.RESEALED


def chains_reseal() -> Counter[Reseal]:
    """`chain_reseal` for every subject; how many were resealed, already current or refused."""
    counts: Counter[Reseal] = Counter()
    for subject in Subject.objects.order_by("pk").iterator(chunk_size=500):
        counts[chain_reseal(subject=subject)] += 1
    return counts
