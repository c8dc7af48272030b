"""The signal store interface every backend implements, with async twins for consumers."""

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from asgiref.sync import sync_to_async

from personalization.signals.windows import Retention, SignalEvent, SignalWindow, retention_policy


class SignalStoreError(Exception):
    """The store could not be reached or answered nonsense; callers degrade, never fail."""


class BaseSignalStore(ABC):
    """Where a subject's recent events live, for at most `retention_policy().max_age` seconds.

    A backend keeps events only within the retention (trimmed on write, expired with a TTL),
    reads a subject's whole window in one round trip, and deletes a subject at once. Methods
    raise `SignalStoreError` when the backing service fails.
    """

    @property
    def retention(self) -> Retention:
        # Read at call time: settings may differ between processes, tests and reloads.
        return retention_policy()

    @abstractmethod
    def record(self, subject_id: str, events: Sequence[SignalEvent]) -> None:
        """Add events to the subject's window, trimming what left the retention."""

    @abstractmethod
    def window(self, subject_id: str) -> SignalWindow:
        """The subject's retained events, oldest first, in one round trip."""

    @abstractmethod
    def delete(self, subject_id: str) -> int:
        """Forget everything about the subject; the number of events deleted."""

    def attributes(self, subject_id: str, *, now: float | None = None) -> dict[str, Any]:
        """The subject's `signals` namespace (one round trip)."""
        return self.window(subject_id).attributes(now=time.time() if now is None else now)

    def export(self, subject_id: str) -> dict[str, Any]:
        """What a data export shows: derived attributes and window extents, no raw events."""
        return self.window(subject_id).summary(now=time.time())

    async def arecord(self, subject_id: str, events: Sequence[SignalEvent]) -> None:
        await sync_to_async(self.record, thread_sensitive=False)(subject_id, events)

    async def awindow(self, subject_id: str) -> SignalWindow:
        return await sync_to_async(self.window, thread_sensitive=False)(subject_id)

    async def adelete(self, subject_id: str) -> int:
        return await sync_to_async(self.delete, thread_sensitive=False)(subject_id)
