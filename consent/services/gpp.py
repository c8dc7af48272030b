"""Intake of a host CMP's GPP string: stored verbatim with its decoded fields, per purpose."""

from django.db import transaction
from django.utils import timezone

from consent.gpp import GppString, gpp_purposes
from consent.models import ConsentEvent, Purpose, Source, Subject
from consent.precedence import event_replaces_state
from consent.selectors import ConsentSnapshot, consent_record_load, consent_snapshot_build
from consent.services.consent import (
    _notice,
    _state_set,
    consent_changed_commit,
    consent_record_gpc,
    events_append,
    subject_lock,
)

GPP_CONTROL = "cmp"


def consent_record_gpp(
    *,
    subject: Subject,
    gpp_string: str,
    decoded: GppString,
    applicable: list[int] | None = None,
    notice_version: int | None = None,
) -> ConsentSnapshot:
    """Accept a host CMP's GPP string, like a TC string (`consent_record_tcf`).

    The applicable sections (`applicable`, the CMP's `gpp_sid`; else every section read) say
    what they say about purposes (`consent.gpp.gpp_purposes`): one `signal` event per such
    purpose, of source `gpp`, with the string verbatim and its decoded fields. The visitor's own
    choices keep precedence. A GPC bit in an applicable section is Global Privacy Control, and
    is honoured as the header is (`consent_record_gpc`). The same string again records nothing.
    """
    notice = _notice(notice_version)
    sections = decoded.applicable(applicable)
    stated = gpp_purposes(sections)
    with transaction.atomic():
        subject = subject_lock(subject)
        if any(section.gpc for section in sections):
            consent_record_gpc(subject=subject)
        last = subject.consent_events.filter(source=Source.GPP).order_by("-sequence").first()
        if not stated or (last is not None and last.raw_signal == gpp_string):
            return consent_snapshot_build(
                subject_id=subject.public_id,
                record=consent_record_load(subject_id=subject.public_id),
            )
        states = {state.purpose_id: state for state in subject.consent_states.all()}
        signal_data = {**decoded.summary(), "applicable_section_ids": applicable}
        now = timezone.now()
        events = []
        for purpose in Purpose.objects.filter(always_on=False, key__in=stated):
            granted = stated[purpose.key]
            events.append(
                ConsentEvent(
                    created_at=now,
                    kind=ConsentEvent.Kind.SIGNAL,
                    purpose=purpose,
                    granted=granted,
                    source=Source.GPP,
                    control=GPP_CONTROL,
                    raw_signal=gpp_string,
                    signal_data=signal_data,
                    notice=notice,
                )
            )
            state = states.get(purpose.pk)
            if event_replaces_state(
                state_source=state.source if state else None, event_source=Source.GPP
            ):
                _state_set(subject, purpose, state, granted=granted, source=Source.GPP, at=now)
        events_append(subject=subject, events=events)
        return consent_changed_commit(subject=subject, events=events)
