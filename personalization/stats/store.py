"""Which decision statistics store this process uses: `TACTFUL["DECISION_STATS_STORE"]`."""

from typing import cast

from personalization.backends import backend_instance
from personalization.stats.backends.base import BaseDecisionStatsStore


def decision_stats_store() -> BaseDecisionStatsStore:
    """The process's store instance for the configured backend (created on first use)."""
    return cast(BaseDecisionStatsStore, backend_instance("DECISION_STATS_STORE"))
