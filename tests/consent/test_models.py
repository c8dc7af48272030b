"""Tests of consent models: the seeded purpose registry and the append-only event log."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from consent.exceptions import ConsentEventImmutable
from consent.models import ConsentEvent, Purpose, Source
from consent.services import consent_update


@pytest.fixture
def event(subject):
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.BANNER)
    return ConsentEvent.objects.get()


def test_seeded_purposes__after_migrate__map_to_tcf_and_consent_mode(db):
    # Given the purposes seeded by the data migration

    # When
    purposes = {p.key: p for p in Purpose.objects.all()}

    # Then
    assert list(purposes) == ["necessary", "personalization", "measurement", "advertising"]
    assert [key for key, p in purposes.items() if p.always_on] == ["necessary"]
    assert purposes["necessary"].tcf_purposes == []
    assert purposes["personalization"].consent_mode_types == ["personalization_storage"]
    assert purposes["measurement"].consent_mode_types == ["analytics_storage"]
    assert set(purposes["advertising"].consent_mode_types) == {
        "ad_storage",
        "ad_user_data",
        "ad_personalization",
    }
    assert {2, 3, 4, 7} <= set(purposes["advertising"].tcf_purposes)
    assert {5, 6} <= set(purposes["personalization"].tcf_purposes)
    for purpose in purposes.values():
        purpose.full_clean()
        assert purpose.description and purpose.example and purpose.retention_days > 0


def test_consent_event__saved_again__is_refused(event):
    # Given
    event.granted = False

    # When
    with pytest.raises(ConsentEventImmutable):
        event.save()

    # Then
    event.refresh_from_db()
    assert event.granted is True


def test_consent_event__deleted__is_refused(event):
    # Given

    # When
    with pytest.raises(ConsentEventImmutable):
        event.delete()

    # Then
    assert ConsentEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "bulk_change",
    [
        lambda events: events.update(granted=False),
        lambda events: events.delete(),
        lambda events: events.bulk_update(list(events), ["granted"]),
    ],
    ids=["update", "delete", "bulk_update"],
)
def test_consent_event_queryset__bulk_change__is_refused(event, bulk_change):
    # Given

    # When
    with pytest.raises(ConsentEventImmutable):
        bulk_change(ConsentEvent.objects.all())

    # Then
    event.refresh_from_db()
    assert event.granted is True


def test_consent_event__new_row_reusing_an_id__cannot_overwrite_it(event):
    # Given a new event that presets the primary key of an existing one
    copy = ConsentEvent(
        pk=event.pk,
        subject=event.subject,
        kind=ConsentEvent.Kind.WITHDRAW,
        purpose=event.purpose,
        granted=False,
        source=Source.API,
    )

    # When
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()

    # Then
    event.refresh_from_db()
    assert (event.kind, event.granted) == ("grant", True)


def test_subject__with_consent_events__cannot_be_deleted(event):
    # Given

    # When
    with pytest.raises(ProtectedError):
        event.subject.delete()

    # Then
    assert ConsentEvent.objects.filter(pk=event.pk).exists()
