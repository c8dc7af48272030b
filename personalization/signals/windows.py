"""Sliding windows over a subject's recent events, and the `signals.*` attributes derived from them.

Pure Python and time-explicit (every function takes `now`), so it is tested without a store.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

# No raw event is ever kept longer than this, whatever the configuration says.
HARD_MAX_SECONDS = 24 * 3600
# The fixed sliding windows, by the suffix their attributes carry (`count_5m`, `count_30m`).
WINDOWS: Mapping[str, int] = {"5m": 300, "30m": 1800}
SESSION = "session"
SPANS = (*WINDOWS, SESSION)
# Attribute names an event type owns; a property key must not shadow them.
RESERVED_KEYS = frozenset({*(f"count_{span}" for span in SPANS), "seconds_since_last"})


@dataclass(frozen=True, slots=True)
class Retention:
    """How long events live: read within `horizon`, dropped by the store `linger` after a write.

    A raw event is trimmed by the first write after it leaves the horizon, and a subject's whole
    entry expires `linger` after its last write, so no event outlives `horizon + linger`
    (`max_age`), which is at most 24 hours.
    """

    horizon: int
    linger: int
    session_idle: int
    max_events: int

    @property
    def max_age(self) -> int:
        return self.horizon + self.linger


def retention_policy() -> Retention:
    """The retention in force, from settings, with the 24-hour hard maximum enforced here."""
    tactful = settings.TACTFUL
    max_age = min(max(int(tactful["SIGNAL_RETENTION_SECONDS"]), 600), HARD_MAX_SECONDS)
    session_idle = min(max(int(tactful["SIGNAL_SESSION_IDLE_SECONDS"]), 60), max_age // 2)
    # An idle subject keeps its entry as long as a window could still count its events.
    linger = min(max(session_idle, max(WINDOWS.values())), max_age // 2)
    return Retention(
        horizon=max_age - linger,
        linger=linger,
        session_idle=session_idle,
        max_events=max(int(tactful["SIGNAL_MAX_EVENTS"]), 1),
    )


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """One accepted event as stored: its type, its allowed properties (slugs) and its time."""

    type: str
    properties: Mapping[str, str]
    ts: float


def _zero() -> dict[str, Any]:
    return {f"count_{span}": 0 for span in SPANS}


@dataclass(frozen=True, slots=True)
class SignalWindow:
    """A subject's retained events (oldest first), as one store read returned them."""

    events: tuple[SignalEvent, ...]
    retention: Retention = field(compare=False)

    def _live(self, now: float) -> list[SignalEvent]:
        # A window kept by a socket ages: events that left the horizon no longer count.
        return [event for event in self.events if now - event.ts < self.retention.horizon]

    def session_start(self, now: float) -> float | None:
        """When the current visit began, or None when there is none (idle for too long).

        A visit is a run of events with no pause of `session_idle` seconds or more; it has ended
        once the last event is that old.
        """
        idle = self.retention.session_idle
        events = self._live(now)
        if not events or now - events[-1].ts >= idle:
            return None
        start = events[-1].ts
        for event in reversed(events[:-1]):
            if start - event.ts >= idle:
                break
            start = event.ts
        return start

    def attributes(self, *, now: float) -> dict[str, Any]:
        """The nested `signals` namespace the engine reads, e.g.

        `{"product_view": {"count_5m": 1, "count_30m": 3, "count_session": 3,
        "seconds_since_last": 4, "category": {"shoes": {"count_5m": 1, ...}}}}`.
        """
        session_start = self.session_start(now)
        out: dict[str, dict[str, Any]] = {}
        for event in self._live(now):
            age = max(now - event.ts, 0.0)
            spans = [name for name, length in WINDOWS.items() if age < length]
            if session_start is not None and event.ts >= session_start:
                spans.append(SESSION)
            entry = out.setdefault(event.type, _zero())
            entry["seconds_since_last"] = int(age)
            for span in spans:
                entry[f"count_{span}"] += 1
            for key, value in event.properties.items():
                counts = entry.setdefault(key, {}).setdefault(value, _zero())
                for span in spans:
                    counts[f"count_{span}"] += 1
        return out

    def next_change(self, *, now: float) -> float | None:
        """Seconds until a count changes by time alone (an event leaves a window), or None.

        `seconds_since_last` changes every second and is not counted here.
        """
        events = self._live(now)
        if not events:
            return None
        moments = [events[-1].ts + self.retention.session_idle]
        for event in events:
            moments.extend(event.ts + length for length in WINDOWS.values())
            moments.append(event.ts + self.retention.horizon)
        future = [moment - now for moment in moments if moment > now]
        return min(future) if future else None

    def summary(self, *, now: float) -> dict[str, Any]:
        """What a data export shows: the derived attributes and the windows' extent, no events."""
        events = self._live(now)
        session_start = self.session_start(now)
        return {
            "attributes": self.attributes(now=now),
            "events_retained": len(events),
            "oldest_event_seconds_ago": math.floor(now - events[0].ts) if events else None,
            "session_started_seconds_ago": (
                math.floor(now - session_start) if session_start is not None else None
            ),
            "retention_seconds": self.retention.max_age,
        }
