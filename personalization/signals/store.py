"""Which signal store this process uses: `TACTFUL["SIGNAL_STORE"]`, like `SESSION_ENGINE`."""

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from personalization.signals.backends.base import BaseSignalStore

_stores: dict[str, BaseSignalStore] = {}
_lock = threading.Lock()


def signal_store() -> BaseSignalStore:
    """The process's store instance for the configured backend (created on first use)."""
    path = str(settings.TACTFUL["SIGNAL_STORE"])
    store = _stores.get(path)
    if store is None:
        with _lock:
            store = _stores.get(path)
            if store is None:
                store = _stores[path] = import_string(path)()
    return store
