"""Writes in flight when consent changes: whatever a withdrawal or an erasure forbade is gone."""

import pytest

from consent.selectors import consent_resolve
from consent.services import consent_update, consent_withdraw, subject_create, subject_erase
from personalization.decision_log import decision_log_get, decision_log_record
from personalization.signals.services import signals_record
from personalization.signals.store import signal_store
from tests.personalization.factories import decide_for

pytestmark = pytest.mark.django_db

SHOES = {"type": "product_view", "properties": {"category": "shoes"}}


@pytest.fixture
def read_before(demo, django_capture_on_commit_callbacks):
    """A consented subject, and the consent a request read just before it changed."""
    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": True}, source="api")
    return subject, consent_resolve(subject_id=subject.public_id)


def _outdoor(subject_id: str):
    return decide_for(
        subject_id=subject_id,
        granted=["necessary", "personalization"],
        attributes={"context": {}, "prefs": {"interests": ["outdoor"]}},
        placements=["home-hero"],
    ).decisions


@pytest.mark.parametrize("change", ["withdrawal", "erasure"])
def test_signals_record__consent_changed_while_in_flight__nothing_kept(
    read_before, change, django_capture_on_commit_callbacks
):
    # Given events read under consent that is then withdrawn (or the subject erased)
    subject, consent = read_before
    with django_capture_on_commit_callbacks(execute=True):
        if change == "withdrawal":
            consent_withdraw(subject=subject, purposes=["personalization"], source="api")
        else:
            assert subject_erase(subject=subject).complete
    # When the request in flight stores its events
    recorded = signals_record(consent=consent, events=[SHOES])
    # Then they are deleted again, and the answer says so
    assert recorded.consent_required is True
    assert recorded.accepted == 0
    assert signal_store().export(subject.public_id) == signal_store().export("nobody")


@pytest.mark.parametrize("change", ["withdrawal", "erasure"])
def test_decision_log_record__consent_changed_while_in_flight__no_history(
    read_before, change, django_capture_on_commit_callbacks
):
    # Given a personalized decision made under consent that is then withdrawn (or erased)
    subject, consent = read_before
    decisions = _outdoor(subject.public_id)
    with django_capture_on_commit_callbacks(execute=True):
        if change == "withdrawal":
            consent_withdraw(subject=subject, purposes=["personalization"], source="api")
        else:
            assert subject_erase(subject=subject).complete
    # When the request in flight records it for "why am I seeing this"
    decision_log_record(consent=consent, decisions=decisions)
    # Then nothing is kept
    assert decision_log_get(subject_id=subject.public_id) == []


def test_decision_log_record__consent_unchanged__kept(read_before):
    # Given consent that did not change meanwhile
    subject, consent = read_before
    # When
    decision_log_record(consent=consent, decisions=_outdoor(subject.public_id))
    # Then the history has it
    assert [entry["variant"] for entry in decision_log_get(subject_id=subject.public_id)] == [
        "outdoor"
    ]
