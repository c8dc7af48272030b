"""Which outcome store this process uses: `TACTFUL["OUTCOME_STORE"]`."""

from typing import cast

from personalization.backends import backend_instance
from personalization.outcomes.backends.base import BaseOutcomeStore


def outcome_store() -> BaseOutcomeStore:
    """The process's store instance for the configured backend (created on first use)."""
    return cast(BaseOutcomeStore, backend_instance("OUTCOME_STORE"))
