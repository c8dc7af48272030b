"""Signal reads for decisions and exports; a store that fails means "no signals", never an error."""

import logging
import time
from typing import Any

from consent.selectors import ConsentSnapshot
from personalization.engine import NAMESPACE_PURPOSES
from personalization.signals.store import signal_store
from personalization.signals.windows import SignalWindow

logger = logging.getLogger(__name__)


def signals_allowed(consent: ConsentSnapshot) -> bool:
    """Whether this visitor's signals may be read: a known subject who granted their purpose."""
    purpose = NAMESPACE_PURPOSES["signals"]
    return consent.subject_id is not None and (purpose is None or consent.allows(purpose))


def signals_attributes_get(*, subject_id: str) -> dict[str, Any]:
    """The subject's `signals` namespace, in one store read; empty (and logged) if it fails."""
    try:
        return signal_store().attributes(subject_id, now=time.time())
    except Exception:
        logger.warning("Signal store unavailable; deciding without signals.", exc_info=True)
        return {}


async def asignals_window_get(*, subject_id: str) -> SignalWindow | None:
    """The subject's window for a socket to keep, in one store read; None (logged) if it fails."""
    try:
        return await signal_store().awindow(subject_id)
    except Exception:
        logger.warning("Signal store unavailable; deciding without signals.", exc_info=True)
        return None


def signals_export(*, subject_id: str) -> dict[str, Any]:
    """What a data export shows of the subject's signals: derived attributes, no raw events."""
    return signal_store().export(subject_id)
