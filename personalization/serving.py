"""The serving seam: where every decision any visitor sees is made, for every transport.

REST decide, OFREP and the server-rendered pages call `decisions_serve`; the decisions socket
calls its async twin `adecisions_serve`. Each hands over the consent that applies — resolved by
`consent.services` (`consent_for_request`, `aconsent_for`), where Global Privacy Control, the
re-consent rule and the staleness rules live — the request's context and the placements. Here:

1. the attributes: the context; preferences (they come with the consent record) and signals
   only when their purpose is granted — otherwise they are never even read;
2. the engine, on the snapshot of the current revision;
3. what serving means: the metrics, the dashboard's statistics, the exposures of measured
   visitors (outcomes) and the decision history.

A socket keeps its consent and signal window between pushes; `adecisions_serve` refuses to
serve from a consent view older than a version this process knows of (`ConsentOutdated`), so a
withdrawal or an erasure is never pushed over, whatever is in flight.
"""

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async

from consent.selectors import ConsentSnapshot
from consent.versions import consent_version_known
from personalization import metrics
from personalization.decision_log import decision_log_record
from personalization.engine import NAMESPACE_PURPOSES, Decision, Snapshot, Visitor, decide_many
from personalization.exceptions import UnknownPlacement
from personalization.outcomes.services import exposures_record
from personalization.signals.selectors import signals_allowed, signals_attributes_get
from personalization.signals.windows import SignalWindow
from personalization.snapshot import asnapshot_current, snapshot_current
from personalization.stats.services import decision_stats_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Decisions:
    """One visitor's decisions, the revision they were made at, and the consent they obeyed."""

    revision: int
    decisions: dict[str, Decision]
    consent: ConsentSnapshot


class ConsentOutdated(Exception):
    """The consent handed over is older than a version this process knows of: resolve it again
    (`consent.services.aconsent_for`) before serving."""


def decisions_serve(
    *,
    consent: ConsentSnapshot,
    context: Mapping[str, Any],
    placements: Sequence[str] | None,
) -> Decisions:
    """Decide `placements` (all when None) for a request and serve them (metrics, statistics,
    history). Signals are read from the store, once, only when their purpose is granted; no
    database query once warm. Raises `UnknownPlacement` for keys the revision does not have."""
    started = time.perf_counter()
    signals = (
        signals_attributes_get(subject_id=consent.subject_id)
        if consent.subject_id is not None and signals_allowed(consent)
        else None
    )
    result = decide_on(
        snapshot_current(),
        consent=consent,
        attributes=_attributes(consent, context, signals),
        placements=placements,
    )
    _served(result, seconds=time.perf_counter() - started)
    decision_log_record(consent=consent, decisions=result.decisions)
    return result


async def adecisions_serve(
    *,
    consent: ConsentSnapshot,
    context: Mapping[str, Any],
    placements: Sequence[str] | None,
    signals: SignalWindow | None,
    at_least: int = 0,
) -> Decisions:
    """The async twin for an open socket, which keeps its consent and signal window: on the
    event loop, from a snapshot at revision `at_least` or newer. The decision history is
    written in the background, after the caller has pushed."""
    if consent.subject_id is not None and consent_version_known(consent.subject_id) > (
        consent.version
    ):
        raise ConsentOutdated(consent.subject_id)
    snapshot = await asnapshot_current(at_least=at_least)
    started = time.perf_counter()
    window = (
        signals.attributes(now=time.time())
        if signals is not None and signals_allowed(consent)
        else None
    )
    result = decide_on(
        snapshot,
        consent=consent,
        attributes=_attributes(consent, context, window),
        placements=placements,
    )
    _served(result, seconds=time.perf_counter() - started)
    if consent.subject_id is not None and any(d.personalized for d in result.decisions.values()):
        _background(
            sync_to_async(decision_log_record, thread_sensitive=False)(
                consent=consent, decisions=result.decisions
            )
        )
    return result


def decisions_served_again(result: Decisions, *, times: int) -> None:
    """Count decisions made once and served `times` more (anonymous sockets sharing a push)."""
    metrics.decisions_record(result.decisions, seconds=None, times=times)
    decision_stats_record(result.decisions.values(), subject_id=None, times=times)


def decisions_preview(
    *,
    subject_id: str | None,
    granted: Sequence[str],
    attributes: Mapping[str, Mapping[str, Any]],
) -> Decisions:
    """Every placement for the admin's sample visitor, decided as for a real one but served to
    nobody: neither counted nor remembered."""
    consent = ConsentSnapshot(subject_id=subject_id, purposes=dict.fromkeys(granted, True))
    return decide_on(snapshot_current(), consent=consent, attributes=attributes, placements=None)


def decide_on(
    snapshot: Snapshot,
    *,
    consent: ConsentSnapshot,
    attributes: Mapping[str, Mapping[str, Any]],
    placements: Sequence[str] | None,
) -> Decisions:
    """The engine on `snapshot` for one visitor; a namespace whose purpose is not granted is
    dropped before the engine sees it. Raises `UnknownPlacement`."""
    keys = list(snapshot.placements) if placements is None else list(dict.fromkeys(placements))
    unknown = [key for key in keys if key not in snapshot.placements]
    if unknown:
        raise UnknownPlacement(unknown)
    granted = frozenset(purpose for purpose, on in consent.purposes.items() if on)
    visitor = Visitor(
        subject_id=consent.subject_id,
        attributes={
            namespace: values
            for namespace, values in attributes.items()
            if namespace in NAMESPACE_PURPOSES
            and (NAMESPACE_PURPOSES[namespace] is None or NAMESPACE_PURPOSES[namespace] in granted)
        },
        granted=granted,
    )
    return Decisions(
        revision=snapshot.revision,
        decisions=decide_many(snapshot, visitor, keys),
        consent=consent,
    )


def _attributes(
    consent: ConsentSnapshot, context: Mapping[str, Any], signals: Mapping[str, Any] | None
) -> dict[str, Mapping[str, Any]]:
    attributes: dict[str, Mapping[str, Any]] = {"context": context}
    if signals is not None:
        attributes["signals"] = signals
    if consent.preferences:
        # Present only while their purpose is granted (see `ConsentSnapshot.preferences`).
        attributes["prefs"] = consent.preferences
    return attributes


def _served(result: Decisions, *, seconds: float) -> None:
    metrics.decisions_record(result.decisions, seconds=seconds)
    try:
        decision_stats_record(result.decisions.values(), subject_id=result.consent.subject_id)
    except Exception:
        # The dashboard's counts must never fail a decision.
        logger.warning("Could not record decision statistics.", exc_info=True)
    # What a measured visitor was served (arms, rules, holdouts), for outcomes: buffered, no query.
    exposures_record(
        consent=result.consent, decisions=result.decisions.values(), revision=result.revision
    )


_tasks: set[asyncio.Task[Any]] = set()


def _background(job: Any) -> None:
    task = asyncio.ensure_future(job)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
