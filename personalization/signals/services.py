"""Signal writes: record a batch of events for a subject, delete a subject's signals."""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rest_framework import status

from config.broadcast import broadcast
from consent.selectors import ConsentSnapshot, consent_still_allows, subject_group_name
from personalization.engine import NAMESPACE_PURPOSES
from personalization.exceptions import PersonalizationError
from personalization.signals.backends.base import SignalStoreError
from personalization.signals.store import signal_store
from personalization.signals.taxonomy import (
    Rejection,
    event_clean,
    event_measures,
    event_taxonomy,
)
from personalization.signals.windows import SignalEvent, retention_policy

logger = logging.getLogger(__name__)

SIGNALS_CHANGED = {"type": "signals.changed"}


class SignalsUnavailable(PersonalizationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "signals_unavailable"


@dataclass(frozen=True, slots=True)
class SignalsRecorded:
    accepted: int
    rejected: tuple[Rejection, ...]
    # Consent changed while the events were stored, and no longer allows them: none was kept.
    consent_required: bool = False


def signals_record(*, consent: ConsentSnapshot, events: Sequence[Any]) -> SignalsRecorded:
    """Store the events that pass the taxonomy, slug and firewall checks; announce them.

    Each rejected event is reported with its index and reason, the others are kept. The caller
    has checked that `consent` (a known subject's) allows signals; if a withdrawal or erasure
    happened meanwhile, what was stored is deleted again. Raises `SignalsUnavailable` when the
    store cannot be written.
    """
    assert consent.subject_id is not None
    subject_id = consent.subject_id
    retention = retention_policy()
    taxonomy = event_taxonomy()
    measures = event_measures()
    now = time.time()
    accepted: list[SignalEvent] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(events):
        cleaned = event_clean(
            raw,
            index=index,
            taxonomy=taxonomy,
            measures=measures,
            now=now,
            horizon=retention.horizon,
        )
        if isinstance(cleaned, SignalEvent):
            accepted.append(cleaned)
        else:
            rejected.append(cleaned)
    if accepted:
        try:
            signal_store().record(subject_id, accepted)
        except SignalStoreError as exc:
            logger.warning("Signal store unavailable; %d events not stored.", len(accepted))
            raise SignalsUnavailable(
                "Signals cannot be stored right now; try again later."
            ) from exc
        purpose = NAMESPACE_PURPOSES["signals"]
        if purpose is not None and not consent_still_allows(consent=consent, purpose=purpose):
            signals_delete(subject_id=subject_id)
            return SignalsRecorded(accepted=0, rejected=tuple(rejected), consent_required=True)
        # The subject's open sockets re-read their window; a lost message only delays that.
        broadcast(subject_group_name(subject_id), SIGNALS_CHANGED, wait=False)
    return SignalsRecorded(accepted=len(accepted), rejected=tuple(rejected))


def signals_delete(*, subject_id: str) -> int:
    """Delete a subject's signals at once (withdrawal, erasure); the number of events deleted.

    Raises `SignalStoreError` when the store fails, so the change that asked is retried. Open
    sockets learn of it from that change (`consent.changed`, `subject.erased`), not from here.
    """
    return signal_store().delete(subject_id)
