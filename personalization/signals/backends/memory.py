"""In-process signal store for the embedded mode: one process, nothing shared, nothing persisted."""

import threading
import time
from collections.abc import Sequence

from personalization.signals.backends.base import BaseSignalStore
from personalization.signals.windows import SignalEvent, SignalWindow

# How often a write sweeps out subjects whose entry expired (their linger passed).
SWEEP_SECONDS = 60.0


class MemorySignalStore(BaseSignalStore):
    """A dict of subject → events behind a lock, with the same retention as the Redis store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, list[SignalEvent]] = {}
        self._expires: dict[str, float] = {}
        self._next_sweep = 0.0

    def record(self, subject_id: str, events: Sequence[SignalEvent]) -> None:
        retention = self.retention
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            kept = self._events.get(subject_id, []) if self._alive(subject_id, now) else []
            merged = sorted([*kept, *events], key=lambda event: event.ts)
            merged = [event for event in merged if now - event.ts < retention.horizon]
            self._events[subject_id] = merged[-retention.max_events :]
            self._expires[subject_id] = now + retention.linger

    def window(self, subject_id: str) -> SignalWindow:
        retention = self.retention
        now = time.time()
        with self._lock:
            if not self._alive(subject_id, now):
                self._forget(subject_id)
                return SignalWindow(events=(), retention=retention)
            events = self._events.get(subject_id, [])
        return SignalWindow(
            events=tuple(event for event in events if now - event.ts < retention.horizon),
            retention=retention,
        )

    def delete(self, subject_id: str) -> int:
        with self._lock:
            return self._forget(subject_id)

    def _alive(self, subject_id: str, now: float) -> bool:
        return self._expires.get(subject_id, 0.0) > now

    def _forget(self, subject_id: str) -> int:
        self._expires.pop(subject_id, None)
        return len(self._events.pop(subject_id, []))

    def _sweep(self, now: float) -> None:
        for subject_id in [s for s, expires in self._expires.items() if expires <= now]:
            self._forget(subject_id)
        self._next_sweep = now + SWEEP_SECONDS
