"""A subject's current consent and preferences: cached, zero queries when warm, fail-closed.

A cached record is used only when it is at least as new as every consent version the reader
knows of (see `consent.versions`): the request's token, the shared cache and this process.
Otherwise, or when the cache is down, the database answers; when that fails too, only what is
strictly necessary is granted.
"""

import logging
import re
import time
from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from consent.models import (
    ADVERTISING,
    NECESSARY,
    PERSONALIZATION,
    ConsentState,
    NoticeVersion,
    Purpose,
    Subject,
    SubjectPreferences,
)
from consent.precedence import ASK, GPC_RECONSENT_CONTROL, Basis, Choice, purpose_state
from consent.tokens import subject_id_from_request
from consent.versions import consent_version_known, consent_version_newer, version_key

logger = logging.getLogger(__name__)

GPC_HEADER = "Sec-GPC"
# Bump the version when the shape of a cached value changes, so old entries are never unpickled.
REGISTRY_CACHE_KEY = "consent:v3:registry"
_SUBJECT_CACHE_KEY = "consent:v3:subject:{}"
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
    purposes to ask about (never chosen, lapsed, or asked again by a newer notice). `version`
    is the subject's consent version it was built from; `preferences` are the subject's
    explicit preferences, present only while `personalization` is granted; `gpc_recorded`
    says whether the subject's GPC signal is on record already (see `consent_for_request`).
    """

    subject_id: str | None
    purposes: dict[str, bool]
    gpc: bool = False
    basis: dict[str, str] = field(default_factory=dict)
    ask: tuple[str, ...] = ()
    notice: int | None = None
    version: int = 0
    preferences: dict[str, list[str]] = field(default_factory=dict)
    gpc_recorded: bool = False

    def allows(self, purpose: str) -> bool:
        return self.purposes.get(purpose, False)


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    """What the cache holds per subject: enough to answer without the database, at any time."""

    exists: bool
    version: int = 0
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


def consent_versions_stored(*, subject_ids: Collection[str]) -> dict[str, int | None]:
    """Each subject's consent version in the database; None for one erased or gone."""
    found = dict(
        Subject.objects.filter(public_id__in=list(subject_ids), erased_at__isnull=True).values_list(
            "public_id", "consent_version"
        )
    )
    return {subject_id: found.get(subject_id) for subject_id in subject_ids}


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


class _Kept:
    """The registry as this process last read it, and until when it may be used as it is."""

    registry: Registry | None = None
    until = 0.0


_kept = _Kept()


def _registry_kept() -> Registry | None:
    return _kept.registry if time.monotonic() < _kept.until else None


def _registry_keep(registry: Registry) -> Registry:
    _kept.registry = registry
    _kept.until = time.monotonic() + float(settings.TACTFUL["REVISION_CHECK_SECONDS"])
    return registry


def registry_drop_kept() -> None:
    """Read the registry afresh next time (after a change in this process, and in tests)."""
    _kept.registry, _kept.until = None, 0.0


def registry_get() -> Registry:
    """The purposes and published notices. Kept in the process for one revision check period
    (a change made in the admin reaches every process within it, as a revision does), else
    read from the cache, else from the database."""
    if (kept := _registry_kept()) is not None:
        return kept
    try:
        registry: Registry | None = cache.get(REGISTRY_CACHE_KEY)
    except Exception:
        # The cache (Redis) is down; the database still holds the truth.
        logger.warning("Consent cache unavailable; reading the database.", exc_info=True)
        registry = None
    return _registry_keep(registry_load() if registry is None else registry)


def purpose_list() -> QuerySet[Purpose]:
    return Purpose.objects.order_by("order", "key")


def purpose_keys() -> tuple[str, ...]:
    """Every purpose key in display order (from the cache when warm)."""
    return tuple(key for key, _ in registry_get().purposes)


def consent_record_load(*, subject_id: str) -> ConsentRecord:
    """Read a subject's consent and preferences from the database (the cache is filled so)."""
    row = (
        Subject.objects.filter(public_id=subject_id, erased_at__isnull=True)
        .values_list("pk", "gpc_at", "consent_version")
        .first()
    )
    if row is None:
        return UNKNOWN_RECORD
    pk, gpc_at, version = row
    states = ConsentState.objects.filter(subject_id=pk).values_list(
        "purpose__key", "granted", "source", "control", "updated_at", "expires_at"
    )
    preferences = SubjectPreferences.objects.filter(subject_id=pk).values_list("values", flat=True)
    return ConsentRecord(
        exists=True,
        version=version,
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
    """Apply the precedence rules to a record; `gpc` is a signal on the current request.

    The one place where Global Privacy Control and the re-consent rule are applied, for every
    transport (HTTP, sockets) and every path that reads consent.
    """
    registry = registry_get() if registry is None else registry
    now = timezone.now().timestamp()
    effective_gpc = gpc or record.gpc
    purposes: dict[str, bool] = {}
    basis: dict[str, str] = {}
    for key, always_on in registry.purposes:
        purposes[key], basis[key] = purpose_state(
            always_on=always_on,
            choice=record.choices.get(key),
            gpc=effective_gpc,
            advertising=key == ADVERTISING,
            reconsent_cutoff=registry.reconsent_cutoff(key, now),
            now=now,
        )
    notice = registry.notice_at(now)
    return ConsentSnapshot(
        subject_id=subject_id if record.exists else None,
        purposes=purposes,
        gpc=effective_gpc,
        basis=basis,
        ask=tuple(key for key, why in basis.items() if why in ASK),
        notice=notice.version if notice else None,
        version=record.version,
        # Preferences serve personalization only: without it they are not even handed over.
        preferences=(
            {key: list(values) for key, values in record.preferences.items()}
            if purposes.get(PERSONALIZATION)
            else {}
        ),
        gpc_recorded=record.gpc,
    )


def _record_and_registry(subject_id: str, version: int) -> tuple[ConsentRecord, Registry]:
    """The subject's record, current as of `version` at least, and the registry."""
    record_key, shared_key = subject_cache_key(subject_id), version_key(subject_id)
    registry = _registry_kept()
    # One round trip: this is the whole cost of consent on a warm decision.
    try:
        cached = cache.get_many(
            [record_key, shared_key] if registry else [REGISTRY_CACHE_KEY, record_key, shared_key]
        )
    except Exception:
        # The cache (Redis) is down: read the database (it holds the truth) and cache nothing;
        # only if that fails too does the caller fail closed.
        logger.warning("Consent cache unavailable; reading the database.", exc_info=True)
        return consent_record_load(subject_id=subject_id), registry or registry_load()
    if registry is None:
        registry = _registry_keep(cached.get(REGISTRY_CACHE_KEY) or registry_load())
    record: ConsentRecord | None = cached.get(record_key)
    floor = max(version, consent_version_known(subject_id), int(cached.get(shared_key) or 0))
    if record is None or record.version < floor:
        record = consent_record_load(subject_id=subject_id)
        if not record.exists:
            # Nobody (erased or never was): as current as any version a token may carry.
            record = ConsentRecord(exists=False, version=floor)
        try:
            consent_record_store(subject_id=subject_id, record=record)
        except Exception:
            logger.warning("Consent cache unavailable; the record is not cached.", exc_info=True)
    return record, registry


def consent_resolve(
    *, subject_id: str | None, version: int = 0, gpc: bool = False
) -> ConsentSnapshot:
    """A subject's current consent, as of `version` at least (the version its token was issued
    at), with `gpc` the request's Global Privacy Control signal. Necessary-only for an unknown
    subject; never raises.

    Served from the cache once warm (no database query); from the database when the cached
    record is older than a version the reader knows of, or the cache is down; if the database
    fails too, the answer fails closed to necessary-only.
    """
    try:
        if subject_id is None or not _PUBLIC_ID.fullmatch(subject_id):
            return consent_snapshot_build(subject_id=None, record=UNKNOWN_RECORD, gpc=gpc)
        record, registry = _record_and_registry(subject_id, version)
        return consent_snapshot_build(
            subject_id=subject_id, record=record, registry=registry, gpc=gpc
        )
    except Exception:
        logger.warning(
            "Consent state unavailable; failing closed to necessary-only.", exc_info=True
        )
        return consent_deny_all(gpc=gpc)


def consent_still_allows(*, consent: ConsentSnapshot, purpose: str) -> bool:
    """Whether data written under `consent` for `purpose` may be kept: call it after writing.

    True unless the subject changed since `consent` was read (a newer version exists, or it
    cannot be known) and no longer grants `purpose`; the caller then deletes what it wrote. A
    withdrawal or an erasure publishes its version before deleting, so every write either
    lands before that deletion or sees the version here (see `consent.versions`).
    """
    if consent.subject_id is None:
        return False
    newer = consent_version_newer(subject_id=consent.subject_id, than=consent.version)
    if newer is False:
        return True
    return consent_resolve(subject_id=consent.subject_id).allows(purpose)
