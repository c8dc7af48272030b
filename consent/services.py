"""Consent writes: each records events, updates the projection and announces the change."""

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from consent.exceptions import AlwaysOnPurpose, UnknownPurpose
from consent.models import ADVERTISING, ConsentEvent, ConsentState, Purpose, Source, Subject
from consent.selectors import (
    PURPOSES_CACHE_KEY,
    ConsentRecord,
    ConsentSnapshot,
    consent_record_load,
    consent_record_store,
    consent_snapshot_build,
    subject_group_name,
)
from consent.signals import consent_changed

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

GPC_RAW_SIGNAL = "Sec-GPC: 1"


def _grant_expiry(at: datetime) -> datetime:
    return at + timedelta(days=settings.TACTFUL["CONSENT_GRANT_DAYS"])


def _announce(*, subject_id: str, record: ConsentRecord, purposes: dict[str, bool]) -> None:
    # Runs after commit: the write has happened, so a failing cache or channel layer is logged,
    # never raised.
    try:
        consent_record_store(subject_id=subject_id, record=record)
    except Exception:
        logger.warning("Could not refresh the cached consent of a subject.", exc_info=True)
    try:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(
                subject_group_name(subject_id), {"type": "consent.changed", "purposes": purposes}
            )
    except Exception:
        logger.warning("Could not announce a consent change to open sockets.", exc_info=True)
    for receiver, result in consent_changed.send_robust(
        sender=ConsentState, subject_id=subject_id, purposes=purposes
    ):
        if isinstance(result, Exception):
            logger.warning("%r failed on a consent change.", receiver, exc_info=result)


def _consent_changed(*, subject: Subject) -> ConsentSnapshot:
    """Read the subject's consent back inside the transaction and announce it on commit."""
    record = consent_record_load(subject_id=subject.public_id)
    snapshot = consent_snapshot_build(subject_id=subject.public_id, record=record)
    transaction.on_commit(
        partial(_announce, subject_id=subject.public_id, record=record, purposes=snapshot.purposes)
    )
    return snapshot


def _subject_lock(subject: Subject) -> Subject:
    # Serialises concurrent choices of one subject, so "refuse" versus "withdraw" is decided on
    # the state the other transaction committed.
    return Subject.objects.select_for_update().get(pk=subject.pk)


def _event_kind(
    granted: bool, state: ConsentState | None, at: datetime
) -> ConsentEvent.Kind | None:
    """The event a choice records against the current state, or None when nothing changes."""
    in_force = state is not None and state.is_granted(at)
    if granted:
        return None if in_force else ConsentEvent.Kind.GRANT
    if in_force:
        return ConsentEvent.Kind.WITHDRAW
    # A grant that lapsed is refused anew; an existing refusal or withdrawal stands as it is.
    return ConsentEvent.Kind.REFUSE if state is None or state.granted else None


def _state_set(
    subject: Subject,
    purpose: Purpose,
    state: ConsentState | None,
    *,
    granted: bool,
    source: str,
    at: datetime,
) -> None:
    state = state or ConsentState(subject=subject, purpose=purpose)
    state.granted = granted
    state.source = source
    state.updated_at = at
    state.expires_at = _grant_expiry(at) if granted else None
    state.save()


def subject_create(*, user: "User | None" = None) -> Subject:
    with transaction.atomic():
        return Subject.objects.create(user=user)


def consent_update(
    *,
    subject: Subject,
    purposes: Mapping[str, bool],
    source: str,
    control: str = "",
    raw_signal: str = "",
) -> ConsentSnapshot:
    """Record a subject's choices: a grant, refusal or withdrawal per purpose that changes.

    Unknown purposes, or refusing an always-on purpose, raise before anything is written.
    Choosing what is already in force records nothing.
    """
    source = Source(source)
    registry = {purpose.key: purpose for purpose in Purpose.objects.all()}
    unknown = sorted(set(purposes) - set(registry))
    if unknown:
        raise UnknownPurpose(
            f"Unknown purpose: {', '.join(unknown)}.",
            details={"unknown": unknown, "known": sorted(registry)},
        )
    refused_always_on = sorted(
        key for key, granted in purposes.items() if not granted and registry[key].always_on
    )
    if refused_always_on:
        raise AlwaysOnPurpose(
            f"Cannot be refused: {', '.join(refused_always_on)}.",
            details={"always_on": refused_always_on},
        )
    with transaction.atomic():
        subject = _subject_lock(subject)
        states = {state.purpose_id: state for state in subject.consent_states.all()}
        now = timezone.now()
        events = []
        for key, granted in purposes.items():
            purpose = registry[key]
            state = states.get(purpose.pk)
            kind = None if purpose.always_on else _event_kind(granted, state, now)
            if kind is None:
                continue
            events.append(
                ConsentEvent(
                    subject=subject,
                    created_at=now,
                    kind=kind,
                    purpose=purpose,
                    granted=granted,
                    source=source,
                    control=control,
                    raw_signal=raw_signal,
                )
            )
            _state_set(subject, purpose, state, granted=granted, source=source, at=now)
        if not events:
            return consent_snapshot_build(
                subject_id=subject.public_id,
                record=consent_record_load(subject_id=subject.public_id),
            )
        ConsentEvent.objects.bulk_create(events)
        return _consent_changed(subject=subject)


def consent_grant(
    *, subject: Subject, purposes: list[str], source: str, control: str = ""
) -> ConsentSnapshot:
    return consent_update(
        subject=subject, purposes=dict.fromkeys(purposes, True), source=source, control=control
    )


def consent_refuse(
    *, subject: Subject, purposes: list[str], source: str, control: str = ""
) -> ConsentSnapshot:
    """Refuse purposes; one that is currently granted is recorded as withdrawn."""
    return consent_update(
        subject=subject, purposes=dict.fromkeys(purposes, False), source=source, control=control
    )


def consent_withdraw(
    *, subject: Subject, purposes: list[str], source: str, control: str = ""
) -> ConsentSnapshot:
    """Withdraw granted purposes; as easy as granting (GDPR Art. 7(3))."""
    return consent_update(
        subject=subject, purposes=dict.fromkeys(purposes, False), source=source, control=control
    )


def consent_record_gpc(*, subject: Subject) -> None:
    """Honour a Global Privacy Control signal: a binding opt-out of advertising, recorded once."""
    with transaction.atomic():
        subject = _subject_lock(subject)
        if subject.gpc_at is not None:
            return
        now = timezone.now()
        subject.gpc_at = now
        subject.save(update_fields=["gpc_at"])
        advertising = Purpose.objects.filter(key=ADVERTISING).first()
        if advertising is not None:
            ConsentEvent.objects.create(
                subject=subject,
                created_at=now,
                kind=ConsentEvent.Kind.SIGNAL,
                purpose=advertising,
                granted=False,
                source=Source.GPC,
                control="header",
                raw_signal=GPC_RAW_SIGNAL,
            )
            state = subject.consent_states.filter(purpose=advertising).first()
            _state_set(subject, advertising, state, granted=False, source=Source.GPC, at=now)
        _consent_changed(subject=subject)


def consent_state_rebuild(*, subject: Subject) -> None:
    """Replace a subject's projection by a replay of its events."""
    with transaction.atomic():
        subject = _subject_lock(subject)
        replayed: dict[int, ConsentState] = {}
        for event in subject.consent_events.order_by("created_at", "pk"):
            replayed[event.purpose_id] = ConsentState(
                subject=subject,
                purpose_id=event.purpose_id,
                granted=event.granted,
                source=event.source,
                updated_at=event.created_at,
                expires_at=_grant_expiry(event.created_at) if event.granted else None,
            )
        subject.consent_states.all().delete()
        ConsentState.objects.bulk_create(replayed.values())
        _consent_changed(subject=subject)


def _registry_forget() -> None:
    try:
        cache.delete(PURPOSES_CACHE_KEY)
    except Exception:
        logger.warning("Could not drop the cached purpose registry.", exc_info=True)


def purpose_save(*, purpose: Purpose) -> Purpose:
    """Validate and save a purpose; every process sees the new registry after commit."""
    purpose.full_clean()
    with transaction.atomic():
        purpose.save()
        transaction.on_commit(_registry_forget)
    return purpose


def purpose_delete(*, purpose: Purpose) -> None:
    """Delete a purpose nobody has chosen on yet (events protect the others)."""
    with transaction.atomic():
        purpose.delete()
        transaction.on_commit(_registry_forget)
