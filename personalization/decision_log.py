"""Short-lived, minimal history of a subject's personalized decisions, for "why am I seeing this".

Kept in the cache (never the database) for `DECISION_LOG_SECONDS` (hard maximum 24 hours), at
most `DECISION_LOG_SIZE` entries, and only while the subject has granted `personalization`.
"""

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from consent.models import PERSONALIZATION
from consent.selectors import ConsentSnapshot, consent_still_allows
from personalization.engine import Decision

logger = logging.getLogger(__name__)

HARD_MAXIMUM_SECONDS = 24 * 3600
_KEY = "decisions:v1:{}"


def _key(subject_id: str) -> str:
    return _KEY.format(subject_id)


def _entry(decision: Decision, at: str) -> dict[str, Any]:
    explanation = decision.explanation
    return {
        "at": at,
        "placement": decision.key,
        "variant": decision.variant,
        "reason": decision.reason.value,
        "segment": explanation.get("segment"),
        "experiment": explanation.get("experiment"),
        "purposes": explanation.get("purposes", []),
        "namespaces": explanation.get("namespaces", []),
        "attributes": explanation.get("attributes", {}),
    }


def _same(entry: Mapping[str, Any], other: Mapping[str, Any] | None) -> bool:
    fields = ("variant", "segment", "experiment", "attributes")
    return other is not None and all(entry[k] == other[k] for k in fields)


def decision_log_record(*, consent: ConsentSnapshot, decisions: Mapping[str, Decision]) -> None:
    """Remember the personalized decisions just served to a subject who granted personalization.

    Repeats of a placement's latest entry are not stored again. A withdrawal or an erasure that
    happened meanwhile wins: the history is then deleted, not kept.
    """
    subject_id = consent.subject_id
    served = [d for d in decisions.values() if d.personalized]
    if subject_id is None or not served or not consent.allows(PERSONALIZATION):
        return
    at = timezone.now().isoformat(timespec="seconds")
    try:
        history: list[dict[str, Any]] = cache.get(_key(subject_id)) or []
        latest: dict[str, dict[str, Any]] = {}
        for old in history:
            latest.setdefault(old["placement"], old)
        entries = (_entry(d, at) for d in served)
        fresh = [entry for entry in entries if not _same(entry, latest.get(entry["placement"]))]
        if not fresh:
            return
        size = int(settings.TACTFUL["DECISION_LOG_SIZE"])
        seconds = min(int(settings.TACTFUL["DECISION_LOG_SECONDS"]), HARD_MAXIMUM_SECONDS)
        cache.set(_key(subject_id), (fresh + history)[:size], seconds)
        if not consent_still_allows(consent=consent, purpose=PERSONALIZATION):
            cache.delete(_key(subject_id))
    except Exception:
        # The history only explains; losing an entry must never fail a decision.
        logger.warning("could not record the decision history of a subject", exc_info=True)


def decision_log_get(*, subject_id: str) -> list[dict[str, Any]]:
    """The subject's recent personalized decisions, newest first."""
    history: list[dict[str, Any]] = cache.get(_key(subject_id)) or []
    return history


def decision_log_erase(*, subject_id: str) -> int:
    """Forget the subject's history; the number of entries erased."""
    erased = len(decision_log_get(subject_id=subject_id))
    cache.delete(_key(subject_id))
    return erased
