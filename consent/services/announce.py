"""After-commit announcements: refresh a subject's cached record and tell its open sockets."""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from consent.selectors import (
    UNKNOWN_RECORD,
    ConsentRecord,
    consent_record_load,
    consent_record_store,
    subject_group_name,
)

logger = logging.getLogger(__name__)


def subject_message(*, subject_id: str, message: dict[str, Any]) -> None:
    """Send `message` to the subject's group; a failing channel layer is logged, never raised."""
    try:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(subject_group_name(subject_id), message)
    except Exception:
        logger.warning("Could not announce a %s to open sockets.", message["type"], exc_info=True)


def record_refresh(*, subject_id: str, record: ConsentRecord | None = None) -> None:
    """Put the subject's current record (or `record`) in the cache; failures are logged."""
    try:
        if record is None:
            record = consent_record_load(subject_id=subject_id)
        consent_record_store(subject_id=subject_id, record=record)
    except Exception:
        logger.warning("Could not refresh the cached consent of a subject.", exc_info=True)


def record_forget(*, subject_id: str) -> None:
    """Cache the subject as nobody, so a stale token reads as unknown without a query."""
    record_refresh(subject_id=subject_id, record=UNKNOWN_RECORD)
