"""Conversions through POST /api/v1/events, and the marks through consent, export and erasure."""

import time
from typing import Any

import orjson
import pytest
from django.test import Client

from consent.models import Subject
from consent.selectors import ConsentSnapshot, subject_export
from consent.services import consent_update, subject_create, subject_erase
from consent.tokens import subject_token_sign
from personalization.engine import Decision, Reason
from personalization.outcomes.models import Goal
from personalization.outcomes.selectors import outcome_visitor
from personalization.outcomes.services import exposures_flush, exposures_record
from personalization.signals.store import signal_store
from tests.personalization.outcomes.factories import goal

pytestmark = pytest.mark.django_db

SPLIT = Decision(
    "free-shipping-banner",
    True,
    "on",
    Reason.SPLIT,
    True,
    {"rule": 2, "segment": None, "experiment": "free-shipping-test"},
)
PURCHASE = {"type": "purchase", "properties": {"product": "tent", "revenue": 249.5}}


@pytest.fixture
def goals(demo) -> tuple[Goal, Goal]:
    return goal(), goal("revenue", metric="value", value_property="revenue")


def subject_with(capture, **purposes: bool) -> tuple[str, str]:
    with capture(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes=purposes, source="api")
    return subject.public_id, subject_token_sign(subject.public_id)


def post(client: Client, body: Any, token: str):
    return client.post(
        "/api/v1/events",
        orjson.dumps(body),
        content_type="application/json",
        headers={"X-Tactful-Subject": token},
    )


def marks(store, subject_id: str) -> list[Any]:
    return store.marks(outcome_visitor(subject_id), now=time.time(), window=86400)


def exposed(subject_id: str) -> None:
    consent = ConsentSnapshot(subject_id, {"necessary": True, "measurement": True})
    exposures_record(consent=consent, decisions=[SPLIT], revision=1)


def test_events__measurement_only__conversion_counted_nothing_stored(
    client, goals, configured_store, django_capture_on_commit_callbacks
):
    # Given a subject who granted measurement only, served the "on" arm
    subject_id, token = subject_with(django_capture_on_commit_callbacks, measurement=True)
    exposed(subject_id)
    # When they buy a tent for 249.50
    response = post(client, {"events": [PURCHASE]}, token)
    # Then the purchase is counted for both goals, and no signal is stored
    assert response.status_code == 202
    assert response.json() == {
        "accepted": 0,
        "dropped": 1,
        "reason": "CONSENT_REQUIRED",
        "conversions": 1,
        "rejected": [],
    }
    purchase, revenue = goals
    [arm] = [m for m in marks(configured_store, subject_id) if m.cohort.kind == "arm"]
    assert arm.goals == {purchase.pk: 1.0, revenue.pk: 249.5}
    assert signal_store().window(subject_id).events == ()


def test_events__measurement_only__bad_values_rejected_others_counted(
    client, goals, configured_store, django_capture_on_commit_callbacks
):
    subject_id, token = subject_with(django_capture_on_commit_callbacks, measurement=True)
    exposed(subject_id)
    bad = [
        {"type": "purchase", "properties": {"revenue": "a lot"}},
        {"type": "purchase", "properties": {"revenue": 2e9}},
        {"type": "purchace"},
        PURCHASE,
    ]
    body = post(client, {"events": bad}, token).json()
    assert body["conversions"] == 1
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [
        (0, "invalid_value"),
        (1, "invalid_value"),
        (2, "unknown_type"),
    ]


def test_events__both_purposes__signal_stored_without_the_amount_and_counted(
    client, goals, configured_store, django_capture_on_commit_callbacks
):
    subject_id, token = subject_with(
        django_capture_on_commit_callbacks, personalization=True, measurement=True
    )
    exposed(subject_id)
    body = post(client, {"events": [PURCHASE]}, token).json()
    assert body == {"accepted": 1, "dropped": 0, "rejected": [], "conversions": 1}
    [event] = signal_store().window(subject_id).events
    assert event.properties == {"product": "tent"}


def test_events__personalization_only__no_conversion(
    client, goals, configured_store, django_capture_on_commit_callbacks
):
    subject_id, token = subject_with(django_capture_on_commit_callbacks, personalization=True)
    exposed(subject_id)
    body = post(client, {"events": [PURCHASE]}, token).json()
    assert body == {"accepted": 1, "dropped": 0, "rejected": []}
    assert all(not m.goals for m in marks(configured_store, subject_id))


def test_events__with_goals_warm__zero_database_queries(
    client, goals, configured_store, django_capture_on_commit_callbacks, django_assert_num_queries
):
    subject_id, token = subject_with(
        django_capture_on_commit_callbacks, personalization=True, measurement=True
    )
    exposed(subject_id)
    assert post(client, {"events": [PURCHASE]}, token).status_code == 202
    with django_assert_num_queries(0):
        assert post(client, {"events": [PURCHASE]}, token).json()["conversions"] == 1


def test_consent__measurement_withdrawn__marks_deleted_at_once(
    client, goals, configured_store, django_capture_on_commit_callbacks
):
    # Given a measured subject with marks
    subject_id, token = subject_with(
        django_capture_on_commit_callbacks, personalization=True, measurement=True
    )
    exposed(subject_id)
    exposures_flush()
    assert marks(configured_store, subject_id)
    # When they withdraw measurement through the consent API
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            "/api/v1/consent",
            orjson.dumps({"purposes": {"personalization": True, "measurement": False}}),
            content_type="application/json",
            headers={"X-Tactful-Subject": token},
        )
    # Then their marks are gone
    assert response.status_code == 200
    assert marks(configured_store, subject_id) == []


def test_export_and_erase__live_marks_listed_then_gone(
    client, goals, configured_store, django_capture_on_commit_callbacks
):
    # Given a measured subject who was shown the "on" arm and bought
    subject_id, token = subject_with(django_capture_on_commit_callbacks, measurement=True)
    exposed(subject_id)
    post(client, {"events": [PURCHASE]}, token)
    subject = Subject.objects.get(public_id=subject_id)
    # When they download their data
    document = subject_export(subject=subject)
    # Then it lists their live marks, in plain terms
    arm = next(m for m in document["exposure_marks"] if m["kind"] == "arm")
    assert arm["placement"] == "free-shipping-banner"
    assert arm["experiment"] == "free-shipping-test"
    assert arm["variant"] == "on"
    assert arm["holdout"] is False
    assert arm["revision"] == 1
    assert arm["goals"] == {"purchase": 1.0, "revenue": 249.5}
    # And erasure deletes them, with a receipt that says so
    with django_capture_on_commit_callbacks(execute=True):
        receipt = subject_erase(subject=subject)
    assert receipt.erased["exposure_marks"] == 3
    assert marks(configured_store, subject_id) == []
