"""Tests of the consent hash chain: written on every append, verified, and tampering caught."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import models

from consent.models import ConsentEvent, NoticeVersion, Source
from consent.selectors import subject_chain_verify
from consent.services import consent_record_gpc, consent_update


def _raw_update(queryset, **fields):
    # What a tamperer with database access would do: the model's guards are bypassed.
    models.QuerySet.update(queryset, **fields)


@pytest.fixture
def history(subject):
    consent_update(
        subject=subject, purposes={"personalization": True, "measurement": False}, source="api"
    )
    consent_update(subject=subject, purposes={"personalization": False}, source=Source.BANNER)
    consent_record_gpc(subject=subject)
    return list(subject.consent_events.order_by("sequence"))


def test_events_append__a_history__links_each_event_to_the_previous(history):
    # Given a history of four events

    # When
    links = [(e.sequence, e.prev_hash, e.hash) for e in history]

    # Then
    assert [sequence for sequence, _, _ in links] == [1, 2, 3, 4]
    assert links[0][1] == ""
    for (_, _, previous), (_, prev_hash, _) in itertools.pairwise(links):
        assert prev_hash == previous
    assert len({digest for _, _, digest in links}) == 4


def test_events_append__each_event__records_the_notice_in_force_and_no_identifiers(history):
    # Given
    notice = NoticeVersion.objects.get(version=1)

    # When
    field_names = {field.name for field in ConsentEvent._meta.get_fields()}

    # Then
    assert {event.notice_id for event in history} == {notice.pk}
    assert not field_names & {"ip", "ip_address", "user_agent", "url", "referrer"}


def test_subject_chain_verify__untouched__is_ok(subject, history):
    # Given

    # When
    report = subject_chain_verify(subject=subject)

    # Then
    assert (report.ok, report.length) == (True, 4)


@pytest.mark.parametrize(
    ("tamper", "broken_at"),
    [
        (lambda events: _raw_update(events.filter(sequence=2), granted=True), 2),
        (lambda events: _raw_update(events.filter(sequence=1), control="forged"), 1),
        (lambda events: models.QuerySet.delete(events.filter(sequence=2)), 2),
        (lambda events: _raw_update(events.filter(sequence=4), raw_signal=""), 4),
    ],
    ids=["flipped-choice", "edited-control", "removed-event", "erased-signal"],
)
def test_subject_chain_verify__tampered__reports_where(subject, history, tamper, broken_at):
    # Given
    tamper(ConsentEvent.objects.filter(subject=subject))

    # When
    report = subject_chain_verify(subject=subject)

    # Then
    assert report.ok is False
    assert report.broken_at == broken_at
    assert report.problem


def test_subject_chain_verify__notice_text_changed_after_publishing__is_broken(subject, history):
    # Given someone rewrote the published notice the events refer to
    _raw_update(NoticeVersion.objects.filter(version=1), text="We never said that.")

    # When
    report = subject_chain_verify(subject=subject)

    # Then
    assert report.ok is False
    assert "notice v1" in report.problem


def test_verify_consent_chains__all_intact__reports_them(subject, subject_factory, history, capsys):
    # Given a second subject's chain
    consent_update(subject=subject_factory(), purposes={"measurement": True}, source="api")

    # When
    call_command("verify_consent_chains")

    # Then
    assert "2 chains verified (5 events); 0 broken." in capsys.readouterr().out


def test_verify_consent_chains__one_tampered__fails_naming_the_subject(subject, history, capsys):
    # Given
    _raw_update(ConsentEvent.objects.filter(subject=subject, sequence=3), kind="grant")

    # When
    with pytest.raises(CommandError):
        call_command("verify_consent_chains")

    # Then
    assert f"BROKEN {subject.public_id}: at event #3" in capsys.readouterr().err
