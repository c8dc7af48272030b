"""Tests of `purge_expired`: each retention rule, and the command."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.utils import timezone

from consent.models import ConsentEvent, ConsentState, Source, Subject, SubjectPreferences
from consent.selectors import consent_resolve, subject_chain_verify
from consent.services import consent_update, preferences_update, retention_purge, subject_erase
from consent.signals import retention_purge as retention_purge_signal


def _age_states(subject, days):
    ConsentState.objects.filter(subject=subject).update(
        updated_at=timezone.now() - timedelta(days=days),
        expires_at=models.Case(
            models.When(granted=True, then=models.Value(timezone.now() - timedelta(days=1))),
            default=None,
        ),
    )


def test_retention_purge__lapsed_grant__becomes_an_expire_event(
    subject, recording_layer, django_capture_on_commit_callbacks
):
    # Given a grant whose 13 months are over, and a refusal
    consent_update(
        subject=subject, purposes={"measurement": True, "advertising": False}, source="api"
    )
    ConsentState.objects.filter(subject=subject, granted=True).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    # When
    with django_capture_on_commit_callbacks(execute=True):
        report = retention_purge()

    # Then
    assert report.counts["expired_grants"] == 1
    last = subject.consent_events.order_by("-sequence").first()
    assert (last.kind, last.purpose.key, last.granted, last.source) == (
        "expire",
        "measurement",
        False,
        Source.SYSTEM,
    )
    snapshot = consent_resolve(subject_id=subject.public_id)
    assert (snapshot.basis["measurement"], snapshot.basis["advertising"]) == ("expired", "choice")
    assert subject_chain_verify(subject=subject).ok
    assert recording_layer.types_for(subject.public_id) == ["consent.changed"]


def test_retention_purge__grant_still_valid__is_left_alone(subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source="api")

    # When
    report = retention_purge()

    # Then
    assert report.counts["expired_grants"] == 0
    assert subject.consent_events.count() == 1


def test_retention_purge__preferences_long_after_withdrawal__are_deleted(subject):
    # Given preferences, then personalization withdrawn 31 days ago (its retention is 30)
    consent_update(subject=subject, purposes={"personalization": True}, source="api")
    preferences_update(subject=subject, preferences={"interests": ["home"]})
    consent_update(subject=subject, purposes={"personalization": False}, source="api")
    _age_states(subject, 31)
    SubjectPreferences.objects.update(updated_at=timezone.now() - timedelta(days=40))

    # When
    report = retention_purge()

    # Then
    assert report.counts["preferences"] == 1
    assert not SubjectPreferences.objects.exists()


@pytest.mark.parametrize(
    ("withdrawn_days_ago", "granted"),
    [(5, False), (400, True)],
    ids=["recently-withdrawn", "still-granted"],
)
def test_retention_purge__preferences_in_use_or_recent__are_kept(
    subject, withdrawn_days_ago, granted
):
    # Given
    consent_update(subject=subject, purposes={"personalization": True}, source="api")
    preferences_update(subject=subject, preferences={"interests": ["home"]})
    if not granted:
        consent_update(subject=subject, purposes={"personalization": False}, source="api")
        _age_states(subject, withdrawn_days_ago)
    SubjectPreferences.objects.update(updated_at=timezone.now() - timedelta(days=400))

    # When
    report = retention_purge()

    # Then
    assert report.counts["preferences"] == 0
    assert SubjectPreferences.objects.exists()


def test_retention_purge__erased_subjects_proof_past_its_retention__goes_whole(
    subject, subject_factory, settings
):
    # Given two erased subjects: one erased 11 days ago, one just now, with a 10-day proof policy
    settings.TACTFUL = {**settings.TACTFUL, "CONSENT_PROOF_DAYS": 10}
    recent = subject_factory()
    for someone in (subject, recent):
        consent_update(subject=someone, purposes={"measurement": True}, source="api")
        subject_erase(subject=someone)
    Subject.objects.filter(pk=subject.pk).update(erased_at=timezone.now() - timedelta(days=11))

    # When
    report = retention_purge()

    # Then
    assert report.counts["erased_subjects"] == 1
    assert list(Subject.objects.values_list("pk", flat=True)) == [recent.pk]
    assert list(ConsentEvent.objects.values_list("subject_id", flat=True)) == [recent.pk]


def test_retention_purge__inactive_subject_without_grants__goes_whole(
    subject, subject_factory, settings
):
    # Given a refusal older than the proof retention, and a fresh grant of someone else
    settings.TACTFUL = {**settings.TACTFUL, "CONSENT_PROOF_DAYS": 10}
    consent_update(subject=subject, purposes={"measurement": False}, source="api")
    models.QuerySet.update(
        ConsentEvent.objects.filter(subject=subject),
        created_at=timezone.now() - timedelta(days=11),
    )
    active = subject_factory()
    consent_update(subject=active, purposes={"measurement": True}, source="api")

    # When
    report = retention_purge()

    # Then
    assert report.counts["inactive_subjects"] == 1
    assert list(Subject.objects.values_list("pk", flat=True)) == [active.pk]


def test_retention_purge__other_apps__purge_theirs_and_failures_are_reported(db, connect_receiver):
    # Given
    connect_receiver(retention_purge_signal, lambda now, **kw: {"decision_history": 3})

    def broken(**kwargs):
        raise ConnectionError("down")

    connect_receiver(retention_purge_signal, broken)

    # When
    report = retention_purge()

    # Then
    assert report.counts["decision_history"] == 3
    assert report.failed[0].endswith("broken")


def test_purge_expired__command__prints_counts_and_fails_on_a_failed_part(
    db, connect_receiver, capsys
):
    # Given
    call_command("purge_expired")
    printed = capsys.readouterr().out

    def broken(**kwargs):
        raise ConnectionError("down")

    connect_receiver(retention_purge_signal, broken)

    # When
    with pytest.raises(CommandError):
        call_command("purge_expired")

    # Then
    assert "expired_grants: 0" in printed and "preferences: 0" in printed
