"""Which decision statistics store this process uses: `TACTFUL["DECISION_STATS_STORE"]`."""

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from personalization.stats.backends.base import BaseDecisionStatsStore

_stores: dict[str, BaseDecisionStatsStore] = {}
_lock = threading.Lock()


def decision_stats_store() -> BaseDecisionStatsStore:
    """The process's store instance for the configured backend (created on first use)."""
    path = str(settings.TACTFUL["DECISION_STATS_STORE"])
    store = _stores.get(path)
    if store is None:
        with _lock:
            store = _stores.get(path)
            if store is None:
                store = _stores[path] = import_string(path)()
    return store
