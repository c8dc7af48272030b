"""Consent reads: purposes, a subject's current consent (cached, fail-closed) and its history."""

import logging
import re
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from consent.models import ADVERTISING, NECESSARY, ConsentEvent, ConsentState, Purpose, Subject
from consent.tokens import subject_id_from_request

logger = logging.getLogger(__name__)

GPC_HEADER = "Sec-GPC"
# Bump the version when the shape of a cached value changes, so old entries are never unpickled.
PURPOSES_CACHE_KEY = "consent:v1:purposes"
_SUBJECT_CACHE_KEY = "consent:v1:subject:{}"
# Anything else is not one of our public ids: not looked up, not cached.
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")

# The purpose registry as cached: (key, always_on) in display order.
type Registry = tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class ConsentSnapshot:
    """A subject's consent as a decision sees it."""

    subject_id: str | None
    purposes: dict[str, bool]
    gpc: bool = False

    def allows(self, purpose: str) -> bool:
        return self.purposes.get(purpose, False)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """What the cache holds per subject: enough to answer without the database, at any time."""

    exists: bool
    gpc: bool = False
    # Granted purpose key → expiry (epoch seconds); kept as expiries so a grant lapses on time
    # even while its entry is cached.
    grants: dict[str, float] = field(default_factory=dict)


_UNKNOWN = ConsentRecord(exists=False)


def consent_deny_all() -> ConsentSnapshot:
    """The fail-closed answer: only what is strictly necessary."""
    return ConsentSnapshot(subject_id=None, purposes={NECESSARY: True})


def _subject_cache_key(public_id: str) -> str:
    return _SUBJECT_CACHE_KEY.format(public_id)


def subject_group_name(public_id: str) -> str:
    """The channel-layer group of a subject's open sockets."""
    return f"subject.{public_id}"


def subject_get(*, public_id: str | None) -> Subject | None:
    if not public_id:
        return None
    return Subject.objects.filter(public_id=public_id).first()


def _cache_seconds() -> int:
    return int(settings.TACTFUL["CONSENT_CACHE_SECONDS"])


def _registry_load() -> Registry:
    registry = tuple(Purpose.objects.order_by("order", "key").values_list("key", "always_on"))
    cache.set(PURPOSES_CACHE_KEY, registry, _cache_seconds())
    return registry


def _registry_get() -> Registry:
    registry: Registry | None = cache.get(PURPOSES_CACHE_KEY)
    return _registry_load() if registry is None else registry


def purpose_keys() -> tuple[str, ...]:
    """Every purpose key in display order (from the cache when warm)."""
    return tuple(key for key, _ in _registry_get())


def purpose_list() -> QuerySet[Purpose]:
    return Purpose.objects.order_by("order", "key")


def consent_record_load(*, subject_id: str) -> ConsentRecord:
    """Read a subject's consent from the database (the cache is filled from this)."""
    row = Subject.objects.filter(public_id=subject_id).values_list("pk", "gpc_at").first()
    if row is None:
        return _UNKNOWN
    pk, gpc_at = row
    grants = ConsentState.objects.filter(subject_id=pk, granted=True).values_list(
        "purpose__key", "expires_at"
    )
    return ConsentRecord(
        exists=True,
        gpc=gpc_at is not None,
        grants={key: expires_at.timestamp() for key, expires_at in grants if expires_at},
    )


def consent_record_store(*, subject_id: str, record: ConsentRecord) -> None:
    cache.set(_subject_cache_key(subject_id), record, _cache_seconds())


def consent_snapshot_build(
    *, subject_id: str | None, record: ConsentRecord, registry: Registry | None = None
) -> ConsentSnapshot:
    now = timezone.now().timestamp()
    purposes = {
        key: always_on or record.grants.get(key, 0.0) > now
        for key, always_on in (_registry_get() if registry is None else registry)
    }
    return ConsentSnapshot(
        subject_id=subject_id if record.exists else None, purposes=purposes, gpc=record.gpc
    )


def _state_get(subject_id: str | None) -> ConsentSnapshot:
    if subject_id is None or not _PUBLIC_ID.fullmatch(subject_id):
        return consent_snapshot_build(subject_id=None, record=_UNKNOWN)
    key = _subject_cache_key(subject_id)
    # One round trip for both values: this is the whole cost of consent on a warm decision.
    cached = cache.get_many([PURPOSES_CACHE_KEY, key])
    registry: Registry | None = cached.get(PURPOSES_CACHE_KEY)
    record: ConsentRecord | None = cached.get(key)
    if record is None:
        record = consent_record_load(subject_id=subject_id)
        consent_record_store(subject_id=subject_id, record=record)
    return consent_snapshot_build(
        subject_id=subject_id,
        record=record,
        registry=_registry_load() if registry is None else registry,
    )


def consent_state_get(*, subject_id: str | None) -> ConsentSnapshot:
    """A subject's current consent; necessary-only for an unknown subject, never raises.

    Served from the cache once warm (no database query); if the cache or the database fails,
    the answer fails closed to necessary-only.
    """
    try:
        return _state_get(subject_id)
    except Exception:
        logger.warning(
            "Consent state unavailable; failing closed to necessary-only.", exc_info=True
        )
        return consent_deny_all()


def consent_for_request(request: HttpRequest | Request) -> ConsentSnapshot:
    """The consent that applies to this request, with Global Privacy Control honoured.

    `Sec-GPC: 1` turns advertising off for the request, and is recorded once per subject as a
    binding opt-out; a later request without the header is not an opt-in.
    """
    snapshot = consent_state_get(subject_id=subject_id_from_request(request))
    if request.headers.get(GPC_HEADER) != "1":
        return snapshot
    if snapshot.subject_id is not None and not snapshot.gpc:
        _gpc_record(snapshot.subject_id)
    purposes = snapshot.purposes
    if purposes.get(ADVERTISING):
        purposes = {**purposes, ADVERTISING: False}
    return replace(snapshot, purposes=purposes, gpc=True)


def _gpc_record(subject_id: str) -> None:
    # Deferred: services imports this module. This is the only write on the read path.
    from consent.services import consent_record_gpc

    try:
        subject = subject_get(public_id=subject_id)
        if subject is not None:
            consent_record_gpc(subject=subject)
    except Exception:
        # The request still gets advertising off; the signal is recorded on a later request.
        logger.warning("Could not record the GPC signal of a subject.", exc_info=True)


def consent_events_for(*, subject_id: str) -> QuerySet[ConsentEvent]:
    """A subject's consent history, oldest first."""
    return (
        ConsentEvent.objects.filter(subject__public_id=subject_id)
        .select_related("purpose")
        .order_by("created_at", "pk")
    )
