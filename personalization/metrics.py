"""Prometheus metrics of decisions, events, websockets, consent and the snapshot, and their calls.

Every metric Tactful's apps record is defined here, with one small typed function per event, so
callers never touch prometheus-client. Recording never raises: a metric must not fail a decision.
With `PROMETHEUS_MULTIPROC_DIR` set (before the process starts), values live in per-process files
that `/metrics` merges (see `config/metrics.py`); otherwise in this process's default registry.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.dispatch import receiver
from prometheus_client import Counter, Gauge, Histogram

from consent.signals import consent_changed
from personalization.engine import Decision

logger = logging.getLogger(__name__)

DECISIONS = Counter(
    "tactful_decisions",
    "Decisions served, by placement, reason and whether they were personalized.",
    ["placement", "reason", "personalized"],
)
DECISION_SECONDS = Histogram(
    "tactful_decision_duration_seconds",
    "Time to decide one request's placements (consent and signals already read).",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
EVENTS_ACCEPTED = Counter("tactful_events_accepted", "Behavioural events stored.")
EVENTS_DROPPED = Counter(
    "tactful_events_dropped", "Behavioural events not stored, by reason.", ["reason"]
)
WEBSOCKETS_OPEN = Gauge(
    "tactful_websockets_open", "Open decision websockets.", multiprocess_mode="livesum"
)
WEBSOCKETS_OPENED = Counter("tactful_websockets_opened", "Decision websockets accepted.")
PUSH_SECONDS = Histogram(
    "tactful_push_latency_seconds",
    "From a change (revision, consent, signals, context) to its push on a socket, by cause.",
    ["cause"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SNAPSHOT_REVISION = Gauge(
    "tactful_snapshot_revision",
    "The configuration revision this process decides from (one series per process).",
    multiprocess_mode="liveall",
)
CONSENT_CHANGES = Counter(
    "tactful_consent_changes",
    "Consent changes by the state they leave: accept_all, reject_all or custom.",
    ["kind"],
)
CONSENT_EVENTS = Counter(
    "tactful_consent_events",
    "Consent events recorded, by kind (grant, refuse, withdraw, expire, signal).",
    ["kind"],
)

# Label values come from code or configuration, but are bounded here all the same: a typo or a
# hostile value must never become a new time series per request.
_LABEL = re.compile(r"[A-Za-z0-9_.-]{1,64}")
PUSH_CAUSES = frozenset({"revision", "consent", "preferences", "signals", "context", "window"})
CONSENT_EVENT_KINDS = frozenset({"grant", "refuse", "withdraw", "expire", "signal"})
_ALWAYS_ON = frozenset({"necessary"})

_decision_children: dict[tuple[str, str, bool], Any] = {}


def _label(value: str, allowed: frozenset[str] | None = None) -> str:
    if allowed is not None:
        return value if value in allowed else "other"
    return value if _LABEL.fullmatch(value) else "other"


def decisions_record(
    decisions: Mapping[str, Decision], *, seconds: float | None, times: int = 1
) -> None:
    """Count one request's decisions (by placement, reason, personalized), served `times`, and
    its latency (None: decisions served again without being made again)."""
    try:
        for decision in decisions.values():
            key = (decision.key, decision.reason.value, decision.personalized)
            child = _decision_children.get(key)
            if child is None:
                child = _decision_children.setdefault(
                    key,
                    DECISIONS.labels(
                        placement=decision.key,
                        reason=decision.reason.value,
                        personalized="true" if decision.personalized else "false",
                    ),
                )
            child.inc(times)
        if seconds is not None:
            DECISION_SECONDS.observe(seconds)
    except Exception:
        logger.warning("Could not record decision metrics.", exc_info=True)


def events_counted(*, accepted: int = 0, dropped: int = 0, reason: str = "other") -> None:
    """Count a batch of events: `accepted` stored, `dropped` not stored because of `reason`
    (e.g. CONSENT_REQUIRED, a rejection code, signals_unavailable)."""
    try:
        if accepted:
            EVENTS_ACCEPTED.inc(accepted)
        if dropped:
            EVENTS_DROPPED.labels(reason=_label(reason)).inc(dropped)
    except Exception:
        logger.warning("Could not record event metrics.", exc_info=True)


def websocket_opened() -> None:
    """A decision websocket was accepted (pair with `websocket_closed` on disconnect)."""
    try:
        WEBSOCKETS_OPEN.inc()
        WEBSOCKETS_OPENED.inc()
    except Exception:
        logger.warning("Could not record websocket metrics.", exc_info=True)


def websocket_closed() -> None:
    try:
        WEBSOCKETS_OPEN.dec()
    except Exception:
        logger.warning("Could not record websocket metrics.", exc_info=True)


def push_latency_observe(seconds: float, *, cause: str = "other") -> None:
    """How long a change took to reach a socket; `cause` is one of `PUSH_CAUSES`."""
    try:
        PUSH_SECONDS.labels(cause=_label(cause, PUSH_CAUSES)).observe(max(seconds, 0.0))
    except Exception:
        logger.warning("Could not record push metrics.", exc_info=True)


def snapshot_revision_set(revision: int) -> None:
    """The revision this process now decides from."""
    try:
        SNAPSHOT_REVISION.set(revision)
    except Exception:
        logger.warning("Could not record the snapshot revision.", exc_info=True)


def consent_event_counted(kind: str, count: int = 1) -> None:
    """A consent event of `kind` was committed (grant, refuse, withdraw, expire, signal)."""
    try:
        CONSENT_EVENTS.labels(kind=_label(kind, CONSENT_EVENT_KINDS)).inc(count)
    except Exception:
        logger.warning("Could not record consent metrics.", exc_info=True)


def consent_change_kind(purposes: Mapping[str, bool]) -> str:
    """accept_all, reject_all or custom: what a consent change left the subject with."""
    optional = [granted for key, granted in purposes.items() if key not in _ALWAYS_ON]
    if optional and all(optional):
        return "accept_all"
    if not any(optional):
        return "reject_all"
    return "custom"


@receiver(consent_changed, dispatch_uid="personalization.metrics.consent_on_changed")
def consent_on_changed(sender: Any, *, purposes: Mapping[str, bool], **kwargs: Any) -> None:
    """Count a change that recorded consent events, once, and its events by kind (`kinds`);
    the sender leaves `kinds` empty for changes without events and for retried reactions."""
    kinds = kwargs.get("kinds") or ()
    if not kinds:
        return
    try:
        CONSENT_CHANGES.labels(kind=consent_change_kind(purposes)).inc()
    except Exception:
        logger.warning("Could not record consent metrics.", exc_info=True)
    for kind in kinds:
        consent_event_counted(str(kind))
