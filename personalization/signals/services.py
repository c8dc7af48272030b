"""Signal writes: record a batch of events for a subject, delete a subject's signals."""

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rest_framework import status

from consent.selectors import subject_group_name
from personalization.exceptions import PersonalizationError
from personalization.lifespan import group_send_soon
from personalization.signals.backends.base import SignalStoreError
from personalization.signals.store import signal_store
from personalization.signals.taxonomy import Rejection, event_clean, event_taxonomy
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


def _announce(subject_id: str) -> None:
    # The subject's open sockets re-read their window; a failure only delays their update.
    try:
        group_send_soon(subject_group_name(subject_id), SIGNALS_CHANGED)
    except Exception:
        logger.warning("Could not announce new signals to open sockets.", exc_info=True)


def signals_record(*, subject_id: str, events: Sequence[Any]) -> SignalsRecorded:
    """Store the events that pass the taxonomy, slug and firewall checks; announce them.

    Each rejected event is reported with its index and reason, the others are kept. The caller
    has checked that the subject granted personalization. Raises `SignalsUnavailable` when
    the store cannot be written.
    """
    retention = retention_policy()
    taxonomy = event_taxonomy()
    now = time.time()
    accepted: list[SignalEvent] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(events):
        cleaned = event_clean(
            raw, index=index, taxonomy=taxonomy, now=now, horizon=retention.horizon
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
        _announce(subject_id)
    return SignalsRecorded(accepted=len(accepted), rejected=tuple(rejected))


def signals_delete(*, subject_id: str) -> int:
    """Delete a subject's signals at once (withdrawal, erasure); the number of events deleted.

    Raises `SignalStoreError` when the store fails, so an erasure can report it and be retried.
    """
    deleted = signal_store().delete(subject_id)
    _announce(subject_id)
    return deleted
