"""The event taxonomy (admin-managed `EventType`s) and the validation of one incoming event.

An event type has properties (slug values: signal dimensions) and measures (numbers, e.g. a
purchase's revenue: checked here, read by goals, never kept in a signal window).

The taxonomy is read from the cache, and kept in process memory for `REVISION_CHECK_SECONDS`,
so that ingesting events makes no database query; saving or deleting an event type forgets it.
"""

import functools
import logging
import math
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.text import slugify

from consent.firewall import sensitive_problems
from personalization.signals.windows import RESERVED_KEYS, SignalEvent

logger = logging.getLogger(__name__)

TAXONOMY_CACHE_KEY = "personalization:v2:event-taxonomy"
# A property key or value becomes one segment of an attribute path: a lower-case slug.
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
PROPERTY_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_RAW_VALUE = 200
EVENT_FIELDS = frozenset({"type", "properties", "ts"})
# Clocks differ a little between browsers and servers; more than this is a wrong timestamp.
CLOCK_SKEW_SECONDS = 60.0
# A measure is a finite number in [0, MAX_MEASURE]: a price, a duration, a quantity.
MAX_MEASURE = 1e9

# Event type key → its property keys (slug values), and → its measure keys (numbers).
type Taxonomy = Mapping[str, frozenset[str]]
type Measures = Mapping[str, frozenset[str]]


class _Memo:
    def __init__(self) -> None:
        self.taxonomy: Taxonomy | None = None
        self.measures: Measures = {}
        self.fresh_until = 0.0
        self.lock = threading.Lock()


_memo = _Memo()


def _usable_keys(event_type: str, keys: Any) -> tuple[str, ...]:
    keys = keys if isinstance(keys, list) else []
    usable = tuple(
        p
        for p in keys
        if isinstance(p, str) and PROPERTY_KEY.fullmatch(p) and p not in RESERVED_KEYS
    )
    if len(usable) != len(keys):
        # A key that cannot be an attribute path segment would never be usable in a segment.
        logger.warning("Event type %r has unusable property keys; they are ignored.", event_type)
    return usable


def _taxonomy_load() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    from personalization.models import EventType

    rows = EventType.objects.values_list("key", "properties", "measures")
    return {
        key: (_usable_keys(key, properties), _usable_keys(key, measures))
        for key, properties, measures in rows
    }


def _taxonomy_memo() -> tuple[Taxonomy, Measures]:
    taxonomy = _memo.taxonomy
    if taxonomy is not None and time.monotonic() < _memo.fresh_until:
        return taxonomy, _memo.measures
    with _memo.lock:
        stored: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] | None = cache.get(
            TAXONOMY_CACHE_KEY
        )
        if stored is None:
            stored = _taxonomy_load()
            cache.set(TAXONOMY_CACHE_KEY, stored, None)
        taxonomy = {key: frozenset(properties) for key, (properties, _) in stored.items()}
        _memo.measures = {key: frozenset(measures) for key, (_, measures) in stored.items()}
        _memo.taxonomy = taxonomy
        _memo.fresh_until = time.monotonic() + settings.TACTFUL["REVISION_CHECK_SECONDS"]
        return taxonomy, _memo.measures


def event_taxonomy() -> Taxonomy:
    """Event type key → allowed property keys; from process memory or the cache when warm."""
    return _taxonomy_memo()[0]


def event_measures() -> Measures:
    """Event type key → its measure keys (numeric properties), as fresh as `event_taxonomy`."""
    return _taxonomy_memo()[1]


def event_taxonomy_forget() -> None:
    """Drop the cached taxonomy here and in the cache; other processes reload within seconds."""
    with _memo.lock:
        _memo.taxonomy = None
        _memo.measures = {}
        _memo.fresh_until = 0.0
    _firewall.cache_clear()
    try:
        cache.delete(TAXONOMY_CACHE_KEY)
    except Exception:
        logger.warning("Could not drop the cached event taxonomy.", exc_info=True)


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one event of a batch was not stored."""

    index: int
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "message": self.message}


@functools.lru_cache(maxsize=8192)
def _firewall(properties: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    # A check costs hundreds of µs and a catalogue sends the same few values over and over; the
    # denylist is fixed for the life of the process, so an answer stays true.
    return tuple(
        sensitive_problems(keys=[k for k, _ in properties], values=[v for _, v in properties])
    )


def _value_slug(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str) and len(value) <= MAX_RAW_VALUE:
        text = slugify(value)
    else:
        return None
    return text if SLUG.fullmatch(text) else None


def _timestamp(raw: Any, *, now: float, horizon: float) -> tuple[float | None, str | None]:
    if raw is None:
        return now, None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return None, "ts must be a number: milliseconds since the epoch, as Date.now() gives"
    ts = raw / 1000
    if ts > now + CLOCK_SKEW_SECONDS:
        return None, "ts is in the future (it is milliseconds since the epoch)"
    if now - ts >= horizon:
        return None, "ts is older than signals are kept (it is milliseconds since the epoch)"
    return min(ts, now), None


def _measure_problem(key: str, value: Any) -> str | None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_MEASURE
    ):
        return f"{key} must be a number from 0 to {MAX_MEASURE:,.0f}."
    return None


def event_clean(
    raw: Any,
    *,
    index: int,
    taxonomy: Taxonomy,
    now: float,
    horizon: float,
    measures: Measures | None = None,
) -> SignalEvent | Rejection:
    """The event to store, or why not: taxonomy, slug values, measures, timestamp and the
    firewall. Measures are checked but left out of the event (read them from `raw`)."""

    def reject(code: str, message: str) -> Rejection:
        return Rejection(index=index, code=code, message=message)

    if not isinstance(raw, dict):
        return reject("invalid_event", "An event must be a JSON object.")
    unknown_fields = sorted(set(raw) - EVENT_FIELDS)
    if unknown_fields:
        return reject("invalid_event", f"Unknown field(s): {', '.join(unknown_fields)}.")
    event_type = raw.get("type")
    if not isinstance(event_type, str) or event_type not in taxonomy:
        known = ", ".join(sorted(taxonomy)) or "none yet"
        return reject(
            "unknown_type", f"Unknown event type {str(event_type)[:70]!r} (known: {known})."
        )
    properties = raw.get("properties", {})
    if not isinstance(properties, dict):
        return reject("invalid_event", "properties must be a JSON object.")
    allowed = taxonomy[event_type]
    numeric = (measures or {}).get(event_type, frozenset())
    unknown_keys = sorted(
        str(key)[:70] for key in properties if key not in allowed and key not in numeric
    )
    if unknown_keys:
        return reject(
            "unknown_property",
            f"Property {', '.join(map(repr, unknown_keys))} is not allowed for {event_type} "
            f"(allowed: {', '.join(sorted(allowed | numeric)) or 'none'}).",
        )
    values: dict[str, str] = {}
    for key, value in properties.items():
        if key in numeric:
            if problem := _measure_problem(key, value):
                return reject("invalid_value", problem)
            continue
        slug = _value_slug(value)
        if slug is None:
            return reject(
                "invalid_value",
                f"{key} must be a string, integer or boolean that reads as a lower-case slug "
                "(letters, digits, - and _; at most 64).",
            )
        values[key] = slug
    ts, problem = _timestamp(raw.get("ts"), now=now, horizon=horizon)
    if ts is None:
        return reject("invalid_timestamp", problem or "invalid ts")
    problems = _firewall(tuple(values.items()))
    if problems:
        return reject("sensitive_data", " ".join(problems))
    return SignalEvent(type=event_type, properties=values, ts=ts)
