"""Consent withdrawal, data export and erasure reach the subject's signals at once."""

import time
from typing import Any

import pytest
from django.dispatch import Signal

from consent.services import consent_update, consent_withdraw, subject_create
from consent.signals import consent_changed, subject_data_erase, subject_data_export
from personalization.signals.store import signal_store
from personalization.signals.windows import SignalEvent

pytestmark = pytest.mark.django_db


def shoes() -> SignalEvent:
    return SignalEvent(type="product_view", properties={"category": "shoes"}, ts=time.time())


def sections(signal: Signal, subject_id: str) -> dict[str, Any]:
    """What every receiver of a data-request signal returned, merged as consent merges it."""
    merged: dict[str, Any] = {}
    responses: list[tuple[Any, Any]] = signal.send(sender=None, subject_id=subject_id)
    for _, result in responses:
        merged.update(result)
    return merged


@pytest.fixture
def subject(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": True}, source="api")
    signal_store().record(subject.public_id, [shoes(), shoes()])
    return subject


def test_consent_withdraw__personalization__signals_deleted_at_once(
    subject, django_capture_on_commit_callbacks
):
    # Given a subject with signals
    # When they withdraw personalization
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(subject=subject, purposes=["personalization"], source="api")
    # Then their signals are gone
    assert signal_store().window(subject.public_id).events == ()


def test_consent_changed__personalization_still_granted__signals_kept(subject):
    # When another purpose changes while personalization stays granted
    consent_changed.send(
        sender=None,
        subject_id=subject.public_id,
        purposes={"necessary": True, "personalization": True, "measurement": False},
    )
    # Then the signals stay
    assert len(signal_store().window(subject.public_id).events) == 2


def test_subject_data_export__signals_section_without_raw_events(subject):
    # When the subject's data is exported
    exported = sections(subject_data_export, subject.public_id)
    # Then the signals section has the derived attributes and counts only
    signals = exported["signals"]
    assert signals["events_retained"] == 2
    assert signals["attributes"]["product_view"]["category"]["shoes"]["count_5m"] == 2
    assert "events" not in signals


def test_subject_data_erase__signals_deleted_and_counted(subject):
    # When the subject is erased
    erased = sections(subject_data_erase, subject.public_id)
    # Then the receipt counts the signals, and they are gone
    assert erased["signals"] == 2
    assert signal_store().window(subject.public_id).events == ()
