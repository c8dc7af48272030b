"""Which signal store this process uses: `TACTFUL["SIGNAL_STORE"]`, like `SESSION_ENGINE`."""

from typing import cast

from personalization.backends import backend_instance
from personalization.signals.backends.base import BaseSignalStore


def signal_store() -> BaseSignalStore:
    """The process's store instance for the configured backend (created on first use)."""
    return cast(BaseSignalStore, backend_instance("SIGNAL_STORE"))
