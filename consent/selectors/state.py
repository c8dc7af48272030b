"""A subject's current consent and preferences: cached, zero queries when warm, fail-closed."""

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from consent.models import (
    ADVERTISING,
    NECESSARY,
    ConsentState,
    NoticeVersion,
    Purpose,
    Subject,
    SubjectPreferences,
)
from consent.precedence import ASK, GPC_RECONSENT_CONTROL, Basis, Choice, purpose_state
from consent.tokens import subject_id_from_request

logger = logging.getLogger(__name__)

GPC_HEADER = "Sec-GPC"
# Bump the version when the shape of a cached value changes, so old entries are never unpickled.
REGISTRY_CACHE_KEY = "consent:v2:registry"
_SUBJECT_CACHE_KEY = "consent:v2:subject:{}"
# Anything else is not one of our public ids: not looked up, not cached.
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True, slots=True)
class NoticeEntry:
    """A published notice version as the hot path needs it."""

    version: int
    effective: float
    content_hash: str
    reconsent: frozenset[str]


@dataclass(frozen=True, slots=True)
class Registry:
    """The purposes (key, always on) in display order, and the published notice versions."""

    purposes: tuple[tuple[str, bool], ...]
    notices: tuple[NoticeEntry, ...] = ()

    def notice_at(self, now: float) -> NoticeEntry | None:
        """The notice version in force at `now`: the highest one already effective."""
        effective = [n for n in self.notices if n.effective <= now]
        return max(effective, key=lambda n: n.version) if effective else None

    def reconsent_cutoff(self, purpose: str, now: float) -> float | None:
        """Grants of `purpose` made before this moment are void: a newer notice asks again."""
        cutoffs = [n.effective for n in self.notices if purpose in n.reconsent]
        effective = [cutoff for cutoff in cutoffs if cutoff <= now]
        return max(effective) if effective else None


@dataclass(frozen=True, slots=True)
class ConsentSnapshot:
    """A subject's consent as a decision sees it.

    `basis` says per purpose what decided it (see `consent.precedence`); `ask` lists the
    purposes to ask about (never chosen, lapsed, or asked again by a newer notice).
    """

    subject_id: str | None
    purposes: dict[str, bool]
    gpc: bool = False
    basis: dict[str, str] = field(default_factory=dict)
    ask: tuple[str, ...] = ()
    notice: int | None = None

    def allows(self, purpose: str) -> bool:
        return self.purposes.get(purpose, False)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """What the cache holds per subject: enough to answer without the database, at any time."""

    exists: bool
    gpc: bool = False
    # Purpose key → the projected choice; grants keep their expiry so they lapse on time even
    # while the entry is cached.
    choices: dict[str, Choice] = field(default_factory=dict)
    preferences: dict[str, list[str]] = field(default_factory=dict)


UNKNOWN_RECORD = ConsentRecord(exists=False)


def consent_deny_all(*, gpc: bool = False) -> ConsentSnapshot:
    """The fail-closed answer: only what is strictly necessary."""
    return ConsentSnapshot(
        subject_id=None, purposes={NECESSARY: True}, gpc=gpc, basis={NECESSARY: Basis.ALWAYS_ON}
    )


def subject_cache_key(public_id: str) -> str:
    return _SUBJECT_CACHE_KEY.format(public_id)


def subject_group_name(public_id: str) -> str:
    """The channel-layer group of a subject's open sockets."""
    return f"subject.{public_id}"


def subject_get(*, public_id: str | None) -> Subject | None:
    """The live subject with this public id; an erased one is nobody."""
    if not public_id:
        return None
    return Subject.objects.filter(public_id=public_id, erased_at__isnull=True).first()


def subject_for_request(request: HttpRequest | Request) -> Subject | None:
    return subject_get(public_id=subject_id_from_request(request))


def _cache_seconds() -> int:
    return int(settings.TACTFUL["CONSENT_CACHE_SECONDS"])


def registry_load() -> Registry:
    notices = NoticeVersion.objects.filter(published_at__isnull=False).order_by("version")
    registry = Registry(
        purposes=tuple(Purpose.objects.order_by("order", "key").values_list("key", "always_on")),
        notices=tuple(
            NoticeEntry(
                version=notice.version,
                effective=(
                    notice.effective_at or notice.published_at or timezone.now()
                ).timestamp(),
                content_hash=notice.content_hash,
                reconsent=frozenset(notice.reconsent_purposes),
            )
            for notice in notices
        ),
    )
    try:
        cache.set(REGISTRY_CACHE_KEY, registry, _cache_seconds())
    except Exception:
        logger.warning("Consent cache unavailable; the registry is not cached.", exc_info=True)
    return registry


def registry_get() -> Registry:
    try:
        registry: Registry | None = cache.get(REGISTRY_CACHE_KEY)
    except Exception:
        # The cache (Redis) is down; the database still holds the truth.
        logger.warning("Consent cache unavailable; reading the database.", exc_info=True)
        registry = None
    return registry_load() if registry is None else registry


def purpose_list() -> QuerySet[Purpose]:
    return Purpose.objects.order_by("order", "key")


def purpose_keys() -> tuple[str, ...]:
    """Every purpose key in display order (from the cache when warm)."""
    return tuple(key for key, _ in registry_get().purposes)


def consent_record_load(*, subject_id: str) -> ConsentRecord:
    """Read a subject's consent and preferences from the database (the cache is filled so)."""
    row = (
        Subject.objects.filter(public_id=subject_id, erased_at__isnull=True)
        .values_list("pk", "gpc_at")
        .first()
    )
    if row is None:
        return UNKNOWN_RECORD
    pk, gpc_at = row
    states = ConsentState.objects.filter(subject_id=pk).values_list(
        "purpose__key", "granted", "source", "control", "updated_at", "expires_at"
    )
    preferences = SubjectPreferences.objects.filter(subject_id=pk).values_list("values", flat=True)
    return ConsentRecord(
        exists=True,
        gpc=gpc_at is not None,
        choices={
            key: Choice(
                granted=granted,
                source=source,
                at=updated_at.timestamp(),
                expires=expires_at.timestamp() if expires_at else None,
                over_gpc=control == GPC_RECONSENT_CONTROL,
            )
            for key, granted, source, control, updated_at, expires_at in states
        },
        preferences=dict(preferences.first() or {}),
    )


def consent_record_store(*, subject_id: str, record: ConsentRecord) -> None:
    cache.set(subject_cache_key(subject_id), record, _cache_seconds())


def consent_snapshot_build(
    *,
    subject_id: str | None,
    record: ConsentRecord,
    registry: Registry | None = None,
    gpc: bool = False,
) -> ConsentSnapshot:
    """Apply the precedence rules to a record; `gpc` is a signal on the current request."""
    registry = registry_get() if registry is None else registry
    now = timezone.now().timestamp()
    gpc = gpc or record.gpc
    purposes: dict[str, bool] = {}
    basis: dict[str, str] = {}
    for key, always_on in registry.purposes:
        purposes[key], basis[key] = purpose_state(
            always_on=always_on,
            choice=record.choices.get(key),
            gpc=gpc,
            advertising=key == ADVERTISING,
            reconsent_cutoff=registry.reconsent_cutoff(key, now),
            now=now,
        )
    notice = registry.notice_at(now)
    return ConsentSnapshot(
        subject_id=subject_id if record.exists else None,
        purposes=purposes,
        gpc=gpc,
        basis=basis,
        ask=tuple(key for key, why in basis.items() if why in ASK),
        notice=notice.version if notice else None,
    )


def _record_and_registry(subject_id: str | None) -> tuple[ConsentRecord, Registry]:
    if subject_id is None or not _PUBLIC_ID.fullmatch(subject_id):
        return UNKNOWN_RECORD, registry_get()
    key = subject_cache_key(subject_id)
    # One round trip for both values: this is the whole cost of consent on a warm decision.
    try:
        cached = cache.get_many([REGISTRY_CACHE_KEY, key])
    except Exception:
        # The cache (Redis) is down: read the database (it holds the truth) and cache nothing;
        # only if that fails too does the caller fail closed.
        logger.warning("Consent cache unavailable; reading the database.", exc_info=True)
        return consent_record_load(subject_id=subject_id), registry_load()
    registry: Registry | None = cached.get(REGISTRY_CACHE_KEY)
    record: ConsentRecord | None = cached.get(key)
    if record is None:
        record = consent_record_load(subject_id=subject_id)
        consent_record_store(subject_id=subject_id, record=record)
    return record, registry_load() if registry is None else registry


def consent_state_get(*, subject_id: str | None) -> ConsentSnapshot:
    """A subject's current consent; necessary-only for an unknown subject, never raises.

    Served from the cache once warm (no database query); if the cache or the database fails,
    the answer fails closed to necessary-only.
    """
    try:
        record, registry = _record_and_registry(subject_id)
        return consent_snapshot_build(subject_id=subject_id, record=record, registry=registry)
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
    subject_id = subject_id_from_request(request)
    header = request.headers.get(GPC_HEADER) == "1"
    try:
        record, registry = _record_and_registry(subject_id)
        snapshot = consent_snapshot_build(
            subject_id=subject_id, record=record, registry=registry, gpc=header
        )
    except Exception:
        logger.warning(
            "Consent state unavailable; failing closed to necessary-only.", exc_info=True
        )
        return consent_deny_all(gpc=header)
    if header and snapshot.subject_id is not None and not record.gpc:
        _gpc_record(snapshot.subject_id)
    return snapshot


def _gpc_record(subject_id: str) -> None:
    # Deferred: services import this module. This is the only write on the read path.
    from consent.services import consent_record_gpc

    try:
        subject = subject_get(public_id=subject_id)
        if subject is not None:
            consent_record_gpc(subject=subject)
    except Exception:
        # The request still gets advertising off; the signal is recorded on a later request.
        logger.warning("Could not record the GPC signal of a subject.", exc_info=True)


def preferences_get(*, subject_id: str | None) -> dict[str, Any]:
    """A subject's explicit preferences ({key: [values]}), from the consent cache entry.

    Zero queries when warm; {} for nobody, and {} (logged) when the store cannot be read.
    Callers use them only while `personalization` is granted.
    """
    try:
        record, _ = _record_and_registry(subject_id)
    except Exception:
        logger.warning("Preferences unavailable; failing closed to none.", exc_info=True)
        return {}
    return {key: list(values) for key, values in record.preferences.items()}
