"""Outcome reads: the goals as event ingest needs them (no query when warm), and a visitor's
live exposure marks."""

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from personalization.outcomes.backends.base import WINDOW_MAX_SECONDS
from personalization.outcomes.models import (
    REPORT_KEY_PREFIX,
    Goal,
    ReportApiKey,
    report_key_digest,
)
from personalization.outcomes.store import outcome_store
from personalization.stats.services import visitor_hash

logger = logging.getLogger(__name__)

GOALS_CACHE_KEY = "outcomes:v1:goals"
# The shortest window accepted, whatever the setting says: an exposure must outlive a page view.
WINDOW_MIN_SECONDS = 60


def attribution_seconds() -> float:
    """How long after an exposure a conversion is attributed to it (1 minute to 7 days)."""
    seconds = float(settings.TACTFUL["ATTRIBUTION_SECONDS"])
    return min(max(seconds, WINDOW_MIN_SECONDS), WINDOW_MAX_SECONDS)


def outcome_visitor(subject_id: str) -> str:
    """The keyed hash that stands for a subject in the outcome store (never the id itself)."""
    return visitor_hash(subject_id).hex()


@dataclass(frozen=True, slots=True)
class GoalSpec:
    """A goal as event ingest matches it."""

    id: int
    key: str
    event_type: str
    binary: bool
    filter_property: str
    filter_value: str
    value_property: str


type GoalsByType = Mapping[str, tuple[GoalSpec, ...]]


class _Memo:
    def __init__(self) -> None:
        self.goals: GoalsByType | None = None
        self.fresh_until = 0.0
        self.lock = threading.Lock()


_memo = _Memo()


def _goals_load() -> list[tuple[Any, ...]]:
    return [
        (
            g.pk,
            g.key,
            g.event_type.key,
            g.binary,
            g.filter_property,
            g.filter_value,
            g.value_property,
        )
        for g in Goal.objects.select_related("event_type")
    ]


def goals_by_event_type() -> GoalsByType:
    """Event type key → the goals its events convert; from process memory or the cache."""
    goals = _memo.goals
    if goals is not None and time.monotonic() < _memo.fresh_until:
        return goals
    with _memo.lock:
        rows: list[tuple[Any, ...]] | None = cache.get(GOALS_CACHE_KEY)
        if rows is None:
            rows = _goals_load()
            cache.set(GOALS_CACHE_KEY, rows, None)
        by_type: dict[str, list[GoalSpec]] = {}
        for row in rows:
            spec = GoalSpec(*row)
            by_type.setdefault(spec.event_type, []).append(spec)
        goals = {key: tuple(specs) for key, specs in by_type.items()}
        _memo.goals = goals
        _memo.fresh_until = time.monotonic() + settings.TACTFUL["REVISION_CHECK_SECONDS"]
        return goals


def goals_forget() -> None:
    """Drop the cached goals here and in the cache; other processes reload within seconds."""
    with _memo.lock:
        _memo.goals = None
        _memo.fresh_until = 0.0
    try:
        cache.delete(GOALS_CACHE_KEY)
    except Exception:
        logger.warning("Could not drop the cached goals.", exc_info=True)


def marks_export(*, subject_id: str) -> list[dict[str, Any]]:
    """The subject's live exposure marks, for their data export."""
    marks = outcome_store().marks(
        outcome_visitor(subject_id), now=time.time(), window=attribution_seconds()
    )
    keys = {goal.id: goal.key for goals in goals_by_event_type().values() for goal in goals}
    return [mark.as_dict(keys) for mark in marks]


def report_key_find(*, raw: str) -> ReportApiKey | None:
    """The valid (unrevoked) report API key `raw` is, or None."""
    if not raw.startswith(REPORT_KEY_PREFIX) or len(raw) > 128:
        return None
    digest = report_key_digest(raw)
    return ReportApiKey.objects.filter(digest=digest, revoked_at__isnull=True).first()
