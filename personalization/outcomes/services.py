"""Outcome writes: exposures (buffered on the hot path), conversions, erasure and the rollup of
aggregates into the database.

Recording an exposure only adds the visitor's cohorts to a dict in process memory, under a lock;
every `OUTCOMES_FLUSH_SECONDS` the request that notices it is time hands them to the outcome
store (one Redis round trip in production). No database query, ever. If the store is down they
stay pending, and what is older than an hour is dropped. A conversion first hands this process's
pending exposures over, then is attributed in the store at once. The aggregates reach the
database when a report is read or `outcomes_rollup` runs; only they are kept.
"""

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from consent.selectors import ConsentSnapshot
from personalization.engine import Decision
from personalization.outcomes.backends.base import (
    TOMBSTONE_SECONDS,
    VISITORS,
    Conversion,
    ConvertedEvent,
    Exposure,
    OutcomeStoreError,
    aggregate_rows,
)
from personalization.outcomes.cohorts import Cohort as CohortKey
from personalization.outcomes.cohorts import cohorts_of
from personalization.outcomes.models import (
    Cohort,
    CohortDay,
    Goal,
    GoalDay,
    ReportApiKey,
    report_key_digest,
)
from personalization.outcomes.selectors import (
    GoalSpec,
    attribution_seconds,
    goals_by_event_type,
    outcome_visitor,
)
from personalization.outcomes.store import outcome_store
from personalization.signals.taxonomy import (
    Rejection,
    event_clean,
    event_measures,
    event_taxonomy,
)
from personalization.signals.windows import SignalEvent, retention_policy

logger = logging.getLogger(__name__)

MEASUREMENT = "measurement"
# Pending exposures older than this are dropped (the store was down for that long); the store's
# tombstones last as long, so an erasure elsewhere is never undone by a late flush.
PENDING_MAX_SECONDS = TOMBSTONE_SECONDS
# At most this many visitors wait in a process; beyond, new ones are not recorded (and logged).
PENDING_MAX_VISITORS = 100_000


@dataclass(slots=True)
class _PendingExposure:
    at: float
    revision: int
    cohorts: set[str]


@dataclass(slots=True)
class _Pending:
    exposures: dict[str, _PendingExposure] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    flushing: threading.Lock = field(default_factory=threading.Lock)
    next_flush: float = 0.0


_pending = _Pending()


def exposures_record(
    *,
    consent: ConsentSnapshot,
    decisions: Iterable[Decision],
    revision: int,
    now: float | None = None,
) -> None:
    """Record the exposures of decisions just served to a subject, if they granted measurement:
    the experiment arms, rules and holdouts the decisions put them in. Never raises, never
    queries the database; flushes to the outcome store when the cadence says so."""
    subject_id = consent.subject_id
    if subject_id is None or not consent.allows(MEASUREMENT):
        return
    cohorts = cohorts_of(decisions)
    if not cohorts:
        return
    now = time.time() if now is None else now
    visitor = outcome_visitor(subject_id)
    with _pending.lock:
        entry = _pending.exposures.get(visitor)
        if entry is not None:
            entry.cohorts.update(cohorts)
            entry.revision = max(entry.revision, revision)
        elif len(_pending.exposures) < PENDING_MAX_VISITORS:
            _pending.exposures[visitor] = _PendingExposure(now, revision, set(cohorts))
        else:
            logger.warning("Too many exposures waiting for the outcome store; one not recorded.")
        due = now >= _pending.next_flush
    if due:
        exposures_flush(now=now)


def exposures_flush(*, now: float | None = None) -> bool:
    """Hand this process's pending exposures to the store; False if they must wait (store down,
    or another thread is flushing)."""
    now = time.time() if now is None else now
    if not _pending.flushing.acquire(blocking=False):
        return False
    try:
        _pending.next_flush = now + float(settings.TACTFUL["OUTCOMES_FLUSH_SECONDS"])
        with _pending.lock:
            taken, _pending.exposures = _pending.exposures, {}
        fresh = {v: e for v, e in taken.items() if e.at > now - PENDING_MAX_SECONDS}
        if not fresh:
            return True
        exposures = [
            Exposure(visitor, entry.at, entry.revision, tuple(sorted(entry.cohorts)))
            for visitor, entry in fresh.items()
        ]
        try:
            outcome_store().expose(exposures, now=now, window=attribution_seconds())
        except (OutcomeStoreError, OSError):
            logger.warning("Outcome store unavailable; keeping the exposures pending.")
            _restore(fresh)
            return False
        return True
    finally:
        _pending.flushing.release()


def _restore(entries: Mapping[str, _PendingExposure]) -> None:
    with _pending.lock:
        for visitor, entry in entries.items():
            held = _pending.exposures.get(visitor)
            if held is None:
                _pending.exposures[visitor] = entry
            else:
                held.at = min(held.at, entry.at)
                held.revision = max(held.revision, entry.revision)
                held.cohorts |= entry.cohorts


def exposures_reset() -> None:
    """Forget this process's pending exposures (tests)."""
    with _pending.lock:
        _pending.exposures = {}
        _pending.next_flush = 0.0


@dataclass(frozen=True, slots=True)
class ConversionsRecorded:
    """What a batch of events did for goals: how many were conversions, and which events were
    rejected (only worked out for a subject who granted measurement)."""

    counted: int = 0
    rejected: tuple[Rejection, ...] = ()
    measured: bool = False

    def answer(self, *, rejections: bool) -> dict[str, Any]:
        """What the events API adds to its answer: `conversions` when the subject is measured,
        and `rejected` too when nothing else reports the rejections."""
        if not self.measured:
            return {}
        body: dict[str, Any] = {"conversions": self.counted}
        if rejections:
            body["rejected"] = [rejection.as_dict() for rejection in self.rejected]
        return body


def _goal_conversions(
    goals: Sequence[GoalSpec], event: SignalEvent, raw: Mapping[str, Any]
) -> tuple[Conversion, ...]:
    conversions = []
    for goal in goals:
        if goal.filter_property and event.properties.get(goal.filter_property) != goal.filter_value:
            continue
        if goal.binary:
            conversions.append(Conversion(goal.id, 1.0, True))
            continue
        # The taxonomy checked the measure; an event without it has nothing to add up.
        value = raw.get("properties", {}).get(goal.value_property)
        if value is not None:
            conversions.append(Conversion(goal.id, float(value), False))
    return tuple(conversions)


def conversions_record(*, consent: ConsentSnapshot, events: Sequence[Any]) -> ConversionsRecorded:
    """Count the goal conversions among a batch of events sent by a subject who granted
    measurement, and attribute them to the subject's recent exposures. Events are checked as
    signals are (taxonomy, measures, timestamp, firewall); the rejected ones are returned with
    their reasons. Never raises: with the store down, nothing is counted."""
    subject_id = consent.subject_id
    if subject_id is None or not consent.allows(MEASUREMENT):
        return ConversionsRecorded()
    goals = goals_by_event_type()
    if not goals:
        return ConversionsRecorded(measured=True)
    taxonomy, measures = event_taxonomy(), event_measures()
    now = time.time()
    horizon = retention_policy().horizon
    converted: list[ConvertedEvent] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(events):
        cleaned = event_clean(
            raw, index=index, taxonomy=taxonomy, measures=measures, now=now, horizon=horizon
        )
        if isinstance(cleaned, Rejection):
            rejected.append(cleaned)
        elif conversions := _goal_conversions(goals.get(cleaned.type, ()), cleaned, raw):
            converted.append(ConvertedEvent(cleaned.ts, conversions))
    conversions_apply(subject_id=subject_id, events=converted, now=now)
    return ConversionsRecorded(counted=len(converted), rejected=tuple(rejected), measured=True)


def conversions_apply(
    *, subject_id: str, events: Sequence[ConvertedEvent], now: float | None = None
) -> int:
    """Attribute conversions to the subject's exposures within the window (this process's
    pending ones first); the number of (cohort, goal) attributions, 0 if the store is down."""
    if not events:
        return 0
    now = time.time() if now is None else now
    exposures_flush(now=now)
    try:
        return outcome_store().convert(
            outcome_visitor(subject_id), events, now=now, window=attribution_seconds()
        )
    except (OutcomeStoreError, OSError):
        logger.warning("Outcome store unavailable; %d conversions not counted.", len(events))
        return 0


def outcomes_erase(*, subject_id: str, now: float | None = None) -> int:
    """Delete the subject's exposure marks at once (erasure, measurement withdrawn), here and in
    the store, so that nothing pending anywhere brings them back; the number of marks deleted.
    Raises `OutcomeStoreError` when the store fails, so an erasure can report it."""
    now = time.time() if now is None else now
    visitor = outcome_visitor(subject_id)
    with _pending.lock:
        _pending.exposures.pop(visitor, None)
    return outcome_store().erase(visitor, now=now)


def _increment(model: Any, lookup: Mapping[str, Any], amounts: Mapping[str, float]) -> None:
    changes = {name: F(name) + amount for name, amount in amounts.items()}
    if model.objects.filter(**lookup).update(**changes):
        return
    try:
        with transaction.atomic():
            model.objects.create(**lookup, **amounts)
    except IntegrityError:
        # Another rollup created the row meanwhile.
        model.objects.filter(**lookup).update(**changes)


def outcomes_rollup() -> int:
    """Move the store's pending aggregates into the database (per cohort, day, revision and
    goal); the
    number of rows touched. If the database fails, they go back to the store and it raises.
    This process's pending exposures go to the store first."""
    exposures_flush()
    store = outcome_store()
    aggregates = store.take()
    if not aggregates:
        return 0
    visitors: dict[tuple[CohortKey, date, int], float] = {}
    conversions: dict[tuple[CohortKey, int, date, int], dict[str, float]] = {}
    for row in aggregate_rows(aggregates):
        if row.measure == VISITORS:
            slot = (row.cohort, row.day, row.revision)
            visitors[slot] = visitors.get(slot, 0) + row.amount
        else:
            assert row.goal is not None
            sums = conversions.setdefault((row.cohort, row.goal, row.day, row.revision), {})
            sums[row.measure] = sums.get(row.measure, 0.0) + row.amount
    names = {"c": "converters", "s": "total", "q": "squares"}
    try:
        with transaction.atomic():
            cohorts: dict[CohortKey, Cohort] = {}

            def cohort_of(key: CohortKey) -> Cohort:
                if key not in cohorts:
                    cohorts[key], _ = Cohort.objects.get_or_create(
                        kind=key.kind.value,
                        placement=key.placement,
                        experiment=key.experiment,
                        segment=key.segment,
                        variant=key.variant,
                        holdout=key.holdout,
                    )
                return cohorts[key]

            for (key, day, revision), count in visitors.items():
                lookup = {"cohort": cohort_of(key), "day": day, "revision": revision}
                _increment(CohortDay, lookup, {"visitors": count})
            wanted = {goal for _, goal, _, _ in conversions}
            goals = set(Goal.objects.filter(pk__in=wanted).values_list("pk", flat=True))
            for (key, goal, day, revision), sums in conversions.items():
                if goal not in goals:
                    continue  # deleted since: its conversions go with it
                amounts = {names[measure]: amount for measure, amount in sums.items()}
                lookup = {
                    "cohort": cohort_of(key),
                    "goal_id": goal,
                    "day": day,
                    "revision": revision,
                }
                _increment(GoalDay, lookup, amounts)
    except Exception:
        store.give_back(aggregates)
        raise
    return len(visitors) + len(conversions)


def outcomes_refresh() -> bool:
    """Roll the store's aggregates up before a report is read; False if the store cannot be
    read now (the report then shows what the database already holds)."""
    try:
        outcomes_rollup()
    except (OutcomeStoreError, OSError):
        logger.warning("Outcome store unavailable; results show what the database holds.")
        return False
    return True


def goal_create(
    *,
    key: str,
    name: str,
    event_type: Any,
    metric: str = Goal.Metric.BINARY,
    value_property: str = "",
    filter_property: str = "",
    filter_value: str = "",
    higher_is_better: bool = True,
    guardrail: bool = False,
    minimum_effect: float = 10.0,
    description: str = "",
) -> Goal:
    """Validate and save a goal (event ingest picks it up within seconds)."""
    goal = Goal(
        key=key,
        name=name,
        event_type=event_type,
        metric=metric,
        value_property=value_property,
        filter_property=filter_property,
        filter_value=filter_value,
        higher_is_better=higher_is_better,
        guardrail=guardrail,
        minimum_effect=minimum_effect,
        description=description,
    )
    goal.full_clean()
    goal.save()
    return goal


def report_key_create(*, key: ReportApiKey, author: Any = None) -> str:
    """Save a new report API key (only its digest is kept); the key itself, to show once (also
    left on `key.raw_key`)."""
    raw = ReportApiKey.generate()
    key.prefix = raw[:8]
    key.digest = report_key_digest(raw)
    key.created_by = author if getattr(author, "pk", None) else None
    key.save()
    key.raw_key = raw
    return raw


def report_keys_revoke(*, keys: Any) -> int:
    """Revoke report API keys (a queryset) at once; how many were still valid."""
    return int(keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now()))


def report_key_used(*, key: ReportApiKey) -> None:
    """Note when a key was last used (at most once a minute, to spare the database)."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ReportApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
