"""The short-lived decision history behind "why am I seeing this"."""

import pytest
from django.core.cache import cache

from consent.selectors import ConsentSnapshot
from personalization.decision_log import (
    decision_log_erase,
    decision_log_get,
    decision_log_record,
)
from tests.personalization.factories import decide_for

pytestmark = pytest.mark.django_db

GRANTED = ConsentSnapshot(
    subject_id="subject-1", purposes={"necessary": True, "personalization": True}
)


def outdoor_decisions():
    return decide_for(
        subject_id="subject-1",
        granted=["necessary", "personalization"],
        attributes={"context": {}, "prefs": {"interests": ["outdoor"]}},
        placements=["home-hero", "recommendations"],
    ).decisions


def test_decision_log_record__personalized_decision__kept_with_its_reasons(demo):
    # When an outdoor lover's decisions are recorded
    decision_log_record(consent=GRANTED, decisions=outdoor_decisions())
    # Then only the personalized one is kept, naming the preference that made it
    [entry] = decision_log_get(subject_id="subject-1")
    assert entry["placement"] == "home-hero"
    assert entry["variant"] == "outdoor"
    assert entry["segment"] == "prefers-outdoor"
    assert entry["purposes"] == ["personalization"]
    assert entry["attributes"] == {"prefs.interests": ["outdoor"]}


def test_decision_log_record__same_decision_again__not_repeated(demo):
    # Given one recorded decision
    decision_log_record(consent=GRANTED, decisions=outdoor_decisions())
    # When the same decision is served again
    decision_log_record(consent=GRANTED, decisions=outdoor_decisions())
    # Then the history does not grow
    assert len(decision_log_get(subject_id="subject-1")) == 1


def test_decision_log_record__personalization_not_granted__nothing_kept(demo):
    # Given a subject who did not grant personalization
    consent = ConsentSnapshot(subject_id="subject-1", purposes={"necessary": True})
    # When
    decision_log_record(consent=consent, decisions=outdoor_decisions())
    # Then
    assert decision_log_get(subject_id="subject-1") == []


def test_decision_log_record__size_and_lifetime__bounded(demo, settings, monkeypatch):
    # Given a history limited to 2 entries and a lifetime above the hard maximum
    settings.TACTFUL = {**settings.TACTFUL, "DECISION_LOG_SIZE": 2, "DECISION_LOG_SECONDS": 10**9}
    timeouts: list[int] = []
    real_set = cache.set

    def spy(key, value, timeout):
        timeouts.append(timeout)
        real_set(key, value)

    monkeypatch.setattr(cache, "set", spy)
    # When three different decisions are recorded
    for other in ("running", "home", "fashion"):
        decisions = decide_for(
            subject_id="subject-1",
            granted=["necessary", "personalization"],
            attributes={"context": {}, "prefs": {"interests": ["outdoor", other]}},
            placements=["home-hero"],
        ).decisions
        decision_log_record(consent=GRANTED, decisions=decisions)
    # Then only the newest two are kept, and not longer than 24 hours
    history = decision_log_get(subject_id="subject-1")
    assert [e["attributes"]["prefs.interests"][1] for e in history] == ["fashion", "home"]
    assert timeouts == [24 * 3600] * 3


def test_decision_log_erase__history__gone_and_counted(demo):
    # Given a history
    decision_log_record(consent=GRANTED, decisions=outdoor_decisions())
    # When
    erased = decision_log_erase(subject_id="subject-1")
    # Then
    assert erased == 1
    assert decision_log_get(subject_id="subject-1") == []


def test_decide_api__consented_subject__history_recorded(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a subject who granted personalization
    from consent.services import consent_update, subject_create
    from consent.tokens import subject_token_sign

    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": True}, source="api")
    # When a mobile decision is asked
    client.post(
        "/api/v1/decide",
        {"context": {"device": "mobile"}},
        content_type="application/json",
        headers={"X-Tactful-Subject": subject_token_sign(subject.public_id)},
    )
    # Then it is in the subject's history
    history = decision_log_get(subject_id=subject.public_id)
    assert [(e["placement"], e["variant"]) for e in history] == [("home-hero", "mobile")]


def test_decision_history__export_erase_and_withdrawal__reach_it(
    demo, django_capture_on_commit_callbacks
):
    # Given a consented subject with a recorded decision
    from consent.services import consent_update, subject_create
    from consent.signals import subject_data_erase, subject_data_export

    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": True}, source="api")
    consent = ConsentSnapshot(
        subject_id=subject.public_id, purposes={"necessary": True, "personalization": True}
    )
    decision_log_record(consent=consent, decisions=outdoor_decisions())
    # When the privacy center exports, then erases
    exported: dict = {}
    for _, result in subject_data_export.send(sender=None, subject_id=subject.public_id):
        exported.update(result)  # type: ignore[arg-type]
    erased: dict = {}
    for _, result in subject_data_erase.send(sender=None, subject_id=subject.public_id):
        erased.update(result)  # type: ignore[arg-type]
    # Then the history is in the export, and counted and gone after the erasure
    assert [e["variant"] for e in exported["recent_decisions"]] == ["outdoor"]
    assert erased["decision_history"] == 1
    assert decision_log_get(subject_id=subject.public_id) == []
    # And a withdrawal forgets a new history at once
    decision_log_record(consent=consent, decisions=outdoor_decisions())
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"personalization": False}, source="api")
    assert decision_log_get(subject_id=subject.public_id) == []


def test_decision_history_export__names__placement_variant_and_segment_as_named(demo):
    # Given a recorded decision
    from personalization.models import Segment
    from personalization.receivers import history_on_export

    decision_log_record(consent=GRANTED, decisions=outdoor_decisions())
    # When the privacy center exports it
    [entry] = history_on_export(sender=None, subject_id="subject-1")["recent_decisions"]
    # Then it carries the names people read, beside the keys
    assert entry["placement"] == "home-hero"
    assert entry["placement_name"] == "Home hero"
    assert entry["segment_name"] == Segment.objects.get(key="prefers-outdoor").name
    assert entry["variant_name"]
