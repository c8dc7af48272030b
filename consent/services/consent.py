"""Consent writes: each appends chained events, updates the projection and announces the change."""

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from consent.chain import chained_digest, event_seal, head_seal
from consent.exceptions import AlwaysOnPurpose, UnknownNotice, UnknownPurpose
from consent.models import (
    ADVERTISING,
    OWN_SOURCES,
    ConsentEvent,
    ConsentState,
    NoticeVersion,
    Purpose,
    Source,
    Subject,
    SubjectChange,
)
from consent.precedence import GPC_RECONSENT_CONTROL, event_replaces_state
from consent.selectors import (
    REGISTRY_CACHE_KEY,
    ConsentSnapshot,
    Registry,
    consent_record_load,
    consent_snapshot_build,
    events_replay,
    notice_current,
    notice_published_get,
    registry_drop_kept,
    registry_get,
)
from consent.selectors.history import grant_expiry
from consent.services.announce import change_commit
from consent.tcf import TcString

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

GPC_RAW_SIGNAL = "Sec-GPC: 1"
# The control of a host CMP's string (TCF, GPP), as its events record it.
CMP_CONTROL = "cmp"


def consent_changed_commit(
    *, subject: Subject, events: Sequence[ConsentEvent] = ()
) -> ConsentSnapshot:
    """Inside the transaction of a consent change of the locked `subject`: bump its version,
    queue the reactions (see `consent.services.announce`) and read its consent back."""
    change_commit(
        subject=subject,
        kind=SubjectChange.Kind.CONSENT,
        kinds=tuple(str(event.kind) for event in events),
    )
    record = consent_record_load(subject_id=subject.public_id)
    return consent_snapshot_build(subject_id=subject.public_id, record=record)


def subject_lock(subject: Subject) -> Subject:
    # Serialises writes of one subject: "refuse" versus "withdraw" is decided on the state the
    # other transaction committed, and its chain is appended to one event at a time.
    return Subject.objects.select_for_update().get(pk=subject.pk)


def events_append(*, subject: Subject, events: Sequence[ConsentEvent]) -> list[ConsentEvent]:
    """Chain, seal and insert events of a locked subject, and seal its new chain head.

    The only way events are written. The chain goes on from its head when the head is longer
    than what is left (deleted events stay a visible gap), else from its last event.
    """
    last = subject.consent_events.order_by("-sequence").values_list("sequence", "hash").first()
    sequence, prev_hash = last if last is not None else (0, "")
    if subject.chain_length > sequence:
        sequence, prev_hash = subject.chain_length, subject.chain_head
    for event in events:
        sequence += 1
        event.subject = subject
        event.sequence = sequence
        event.prev_hash = prev_hash
        event.hash = chained_digest(subject_id=subject.public_id, event=event)
        event.seal = event_seal(event_hash=event.hash)
        prev_hash = event.hash
    created = ConsentEvent.objects.bulk_create(events)
    subject.chain_length, subject.chain_head = sequence, prev_hash
    subject.chain_seal = head_seal(
        subject_id=subject.public_id, length=sequence, last_hash=prev_hash
    )
    Subject.objects.filter(pk=subject.pk).update(
        chain_length=sequence, chain_head=prev_hash, chain_seal=subject.chain_seal
    )
    return created


def _state_set(
    subject: Subject,
    purpose: Purpose,
    state: ConsentState | None,
    *,
    granted: bool,
    source: str,
    at: datetime,
    control: str = "",
) -> None:
    state = state or ConsentState(subject=subject, purpose=purpose)
    state.granted = granted
    state.source = source
    state.control = control
    state.updated_at = at
    state.expires_at = grant_expiry(at) if granted else None
    state.save()


def _in_force(state: ConsentState | None, key: str, registry: Registry, at: datetime) -> bool:
    if state is None or not state.is_granted(at):
        return False
    cutoff = registry.reconsent_cutoff(key, at.timestamp())
    return cutoff is None or state.updated_at.timestamp() >= cutoff


def _event_kind(
    granted: bool, state: ConsentState | None, in_force: bool, control: str
) -> ConsentEvent.Kind | None:
    """The event an own choice records against the current state; None when nothing changes."""
    own = state is not None and state.source in OWN_SOURCES
    if granted:
        renews_over_gpc = control == GPC_RECONSENT_CONTROL and (
            state is None or state.control != GPC_RECONSENT_CONTROL
        )
        return None if in_force and own and not renews_over_gpc else ConsentEvent.Kind.GRANT
    if in_force:
        return ConsentEvent.Kind.WITHDRAW
    # A lapsed grant, or a state set by a signal, is refused anew; an own refusal stands.
    return ConsentEvent.Kind.REFUSE if state is None or state.granted or not own else None


def _notice(notice_version: int | None) -> NoticeVersion | None:
    if notice_version is None:
        return notice_current()
    notice = notice_published_get(version=notice_version)
    if notice is None:
        raise UnknownNotice(
            f"Notice version {notice_version} is not published.",
            details={"notice_version": notice_version},
        )
    return notice


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
    notice_version: int | None = None,
) -> ConsentSnapshot:
    """Record a subject's own choices: a grant, refusal or withdrawal per purpose that changes.

    Each event names the notice version shown (`notice_version`, else the one in force).
    Unknown purposes or notice versions, or refusing an always-on purpose, raise before
    anything is written. Choosing what is already in force records nothing.
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
    notice = _notice(notice_version)
    with transaction.atomic():
        subject = subject_lock(subject)
        states = {state.purpose_id: state for state in subject.consent_states.all()}
        notices = registry_get()
        now = timezone.now()
        events = []
        for key, granted in purposes.items():
            purpose = registry[key]
            state = states.get(purpose.pk)
            in_force = _in_force(state, key, notices, now)
            kind = None if purpose.always_on else _event_kind(granted, state, in_force, control)
            if kind is None:
                continue
            events.append(
                ConsentEvent(
                    created_at=now,
                    kind=kind,
                    purpose=purpose,
                    granted=granted,
                    source=source,
                    control=control,
                    raw_signal=raw_signal,
                    notice=notice,
                )
            )
            _state_set(
                subject, purpose, state, granted=granted, source=source, at=now, control=control
            )
        if not events:
            return consent_snapshot_build(
                subject_id=subject.public_id,
                record=consent_record_load(subject_id=subject.public_id),
            )
        events_append(subject=subject, events=events)
        return consent_changed_commit(subject=subject, events=events)


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


def consent_record_gpc(*, subject: Subject) -> ConsentSnapshot:
    """Honour a Global Privacy Control signal: a binding opt-out of advertising, recorded once.

    The subject's consent as it now stands (advertising off unless re-consented over GPC).
    """
    with transaction.atomic():
        subject = subject_lock(subject)
        if subject.gpc_at is not None:
            return consent_snapshot_build(
                subject_id=subject.public_id,
                record=consent_record_load(subject_id=subject.public_id),
            )
        now = timezone.now()
        subject.gpc_at = now
        subject.save(update_fields=["gpc_at"])
        events = []
        advertising = Purpose.objects.filter(key=ADVERTISING).first()
        if advertising is not None:
            events.append(
                ConsentEvent(
                    created_at=now,
                    kind=ConsentEvent.Kind.SIGNAL,
                    purpose=advertising,
                    granted=False,
                    source=Source.GPC,
                    control="header",
                    raw_signal=GPC_RAW_SIGNAL,
                    notice=notice_current(),
                )
            )
            events_append(subject=subject, events=events)
            state = subject.consent_states.filter(purpose=advertising).first()
            _state_set(subject, advertising, state, granted=False, source=Source.GPC, at=now)
        return consent_changed_commit(subject=subject, events=events)


def consent_record_tcf(
    *, subject: Subject, tc_string: str, decoded: TcString, notice_version: int | None = None
) -> ConsentSnapshot:
    """Accept a host CMP's TC string: stored verbatim with its decoded fields, per purpose.

    A Tactful purpose is granted by the string when every TCF purpose it maps to has consent.
    """
    mapped = Purpose.objects.filter(always_on=False).exclude(tcf_purposes=[])
    return cmp_signal_record(
        subject=subject,
        source=Source.TCF,
        raw_signal=tc_string,
        signal_data=decoded.summary(),
        granted={p.key: set(p.tcf_purposes) <= decoded.purposes_consent for p in mapped},
        notice_version=notice_version,
    )


def cmp_signal_record(
    *,
    subject: Subject,
    source: Source,
    raw_signal: str,
    signal_data: Mapping[str, Any],
    granted: Mapping[str, bool],
    notice_version: int | None = None,
) -> ConsentSnapshot:
    """Record what a host CMP's string (TCF, GPP) says of each purpose it speaks for: one
    `signal` event each, with the string verbatim and its decoded fields. It changes a purpose's
    state only where the visitor made no choice of their own in Tactful (`consent.precedence`);
    the same string sent again records nothing."""
    notice = _notice(notice_version)
    with transaction.atomic():
        subject = subject_lock(subject)
        last = subject.consent_events.filter(source=source).order_by("-sequence").first()
        if not granted or (last is not None and last.raw_signal == raw_signal):
            return consent_snapshot_build(
                subject_id=subject.public_id,
                record=consent_record_load(subject_id=subject.public_id),
            )
        states = {state.purpose_id: state for state in subject.consent_states.all()}
        now = timezone.now()
        events = []
        for purpose in Purpose.objects.filter(always_on=False, key__in=list(granted)):
            events.append(
                ConsentEvent(
                    created_at=now,
                    kind=ConsentEvent.Kind.SIGNAL,
                    purpose=purpose,
                    granted=granted[purpose.key],
                    source=source,
                    control=CMP_CONTROL,
                    raw_signal=raw_signal,
                    signal_data=dict(signal_data),
                    notice=notice,
                )
            )
            state = states.get(purpose.pk)
            if event_replaces_state(
                state_source=state.source if state else None, event_source=source
            ):
                _state_set(
                    subject, purpose, state, granted=granted[purpose.key], source=source, at=now
                )
        events_append(subject=subject, events=events)
        return consent_changed_commit(subject=subject, events=events)


def consent_state_rebuild(*, subject: Subject) -> None:
    """Replace a subject's projection by a replay of its events, with the same precedence."""
    with transaction.atomic():
        subject = subject_lock(subject)
        deciding = events_replay(subject.consent_events.order_by("sequence"))
        subject.consent_states.all().delete()
        ConsentState.objects.bulk_create(
            ConsentState(
                subject=subject,
                purpose_id=purpose_id,
                granted=event.granted,
                source=event.source,
                control=event.control,
                updated_at=event.created_at,
                expires_at=grant_expiry(event.created_at) if event.granted else None,
            )
            for purpose_id, event in deciding.items()
        )
        consent_changed_commit(subject=subject)


def registry_forget() -> None:
    """Drop the cached purpose and notice registry (after commit): this process reads it again
    at once, the others within a revision check period."""
    registry_drop_kept()
    try:
        cache.delete(REGISTRY_CACHE_KEY)
    except Exception:
        logger.warning("Could not drop the cached purpose registry.", exc_info=True)


def purpose_save(*, purpose: Purpose) -> Purpose:
    """Validate and save a purpose; every process sees the new registry after commit."""
    purpose.full_clean()
    with transaction.atomic():
        purpose.save()
        transaction.on_commit(registry_forget)
    return purpose


def purpose_delete(*, purpose: Purpose) -> None:
    """Delete a purpose nobody has chosen on yet (events protect the others)."""
    with transaction.atomic():
        purpose.delete()
        transaction.on_commit(registry_forget)
