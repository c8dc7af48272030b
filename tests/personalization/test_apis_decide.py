"""POST /api/v1/decide: the native decision API over the demo storefront."""

from typing import Any

import orjson
import pytest
from django.test import Client

from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign

pytestmark = pytest.mark.django_db


def decide(client: Client, body: Any, **headers: str):
    return client.post(
        "/api/v1/decide",
        data=orjson.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def granted_subject(django_capture_on_commit_callbacks, **purposes: bool) -> tuple[str, str]:
    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes=purposes, source="api")
    return subject.public_id, subject_token_sign(subject.public_id)


def test_decide__anonymous_visitor__contextual_decisions_and_consent_required(client, demo):
    # Given an anonymous mobile visitor
    # When all placements are decided
    response = decide(client, {"context": {"device": "mobile"}})
    # Then the context rule serves, consent rules are skipped, nothing is granted
    assert response.status_code == 200
    body = response.json()
    assert body["revision"] >= 1
    hero = body["decisions"]["home-hero"]
    assert (hero["variant"], hero["reason"], hero["personalized"]) == (
        "mobile",
        "TARGETING_MATCH",
        True,
    )
    assert hero["value"]["theme"] == "mobile"
    recs = body["decisions"]["recommendations"]
    assert (recs["value"], recs["reason"]) == ("bestsellers", "CONSENT_REQUIRED")
    assert body["consent"]["personalization"] is False
    assert body["consent"]["necessary"] is True


def test_decide__spring_campaign__free_shipping_on(client, demo):
    # Given a visitor from the spring campaign
    # When
    response = decide(
        client, {"placements": ["free-shipping-banner"], "context": {"utm_campaign": "spring-sale"}}
    )
    # Then only the asked placement is decided, and it is on
    decisions = response.json()["decisions"]
    assert list(decisions) == ["free-shipping-banner"]
    assert decisions["free-shipping-banner"]["value"] is True


def test_decide__measurement_granted__experiment_splits(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a subject who granted measurement, identified by the header token
    _, token = granted_subject(django_capture_on_commit_callbacks, measurement=True)
    # When
    response = decide(client, {"placements": ["free-shipping-banner"]}, X_Tactful_Subject=token)
    # Then the experiment assigns them
    decision = response.json()["decisions"]["free-shipping-banner"]
    assert decision["reason"] == "SPLIT"
    assert decision["explanation"]["experiment"] == "free-shipping-test"
    assert response.json()["consent"]["measurement"] is True


def test_decide__forged_token__anonymous_not_error(client, demo):
    # Given a token that was not signed by us
    # When
    response = decide(client, {"placements": ["recommendations"]}, X_Tactful_Subject="forged:abc")
    # Then the visitor is anonymous
    assert response.status_code == 200
    assert response.json()["decisions"]["recommendations"]["reason"] == "CONSENT_REQUIRED"


def test_decide__warm_snapshot_and_consent__zero_queries(
    client, demo, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given a consented subject and one warm-up request
    _, token = granted_subject(django_capture_on_commit_callbacks, personalization=True)
    client.cookies["tactful_subject"] = token
    assert decide(client, {"context": {"device": "mobile"}}).status_code == 200
    # When the next request is made
    with django_assert_num_queries(0):
        response = decide(client, {"context": {"device": "mobile"}})
    # Then it made no database query and still used the subject's consent
    assert response.json()["consent"]["personalization"] is True


def test_decide__anonymous_warm__zero_queries(client, demo, django_assert_num_queries):
    # Given a warm process
    decide(client, {})
    # When an anonymous visitor asks
    with django_assert_num_queries(0):
        response = decide(client, {})
    # Then
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ('{"placements": "home-hero"}', "placements"),
        ('{"placements": [1, 2]}', "placements"),
        ('{"context": []}', "context"),
        ('{"context": {"device": {"nested": true}}}', "context"),
        ('{"context": {"bad key!": 1}}', "context"),
        ('{"context": {"n": 1e999}}', None),
        ("[1, 2, 3]", None),
        ('"text"', None),
    ],
)
def test_decide__wrong_shapes__400_with_error_body(client, demo, raw, fragment):
    # Given a request body of the wrong shape
    # When
    response = client.post("/api/v1/decide", data=raw, content_type="application/json")
    # Then a clear 400
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"]
    if fragment:
        assert fragment in error["details"]


def test_decide__unknown_placement__400_naming_it(client, demo):
    # When
    response = decide(client, {"placements": ["home-hero", "nope"]})
    # Then
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "unknown_placement",
        "message": "Unknown placement: nope.",
        "details": {"placements": ["nope"]},
    }


def test_decide__malformed_json__400(client, demo):
    # When
    response = client.post("/api/v1/decide", data="{nope", content_type="application/json")
    # Then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_decide__body_over_64_kib__413(client, demo):
    # Given a body just over the limit
    body = orjson.dumps({"context": {"x": "a" * 1000}, "pad": "b" * 65 * 1024})
    # When
    response = client.post("/api/v1/decide", data=body, content_type="application/json")
    # Then
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_decide__form_encoded_body__415(client, demo):
    # When
    response = client.post("/api/v1/decide", data={"placements": "x"})
    # Then
    assert response.status_code == 415


def test_decide__get__405(client, demo):
    assert client.get("/api/v1/decide").status_code == 405


def test_decide__no_configuration_yet__empty_decisions(client, db):
    # Given a fresh database with no revision
    # When
    response = decide(client, {})
    # Then there is nothing to decide, and no error
    assert response.status_code == 200
    assert response.json()["decisions"] == {}
    assert response.json()["revision"] == 0


def test_schema__lists_the_decision_endpoints(client, db):
    # When
    response = client.get("/api/schema/", headers={"Accept": "application/json"})
    # Then
    assert response.status_code == 200
    text = response.content.decode()
    for endpoint in ("/api/v1/decide", "/ofrep/v1/evaluate/flags", "/api/v1/consent"):
        assert endpoint in text


def test_decide__preferences_with_personalization__explained_by_the_interest(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a subject who granted personalization and chose the outdoor interest
    from consent.services import preferences_update, subject_create

    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": True}, source="api")
        preferences_update(subject=subject, preferences={"interests": ["outdoor"]})
    token = subject_token_sign(subject.public_id)
    # When the hero is decided
    response = decide(client, {"placements": ["home-hero"]}, X_Tactful_Subject=token)
    # Then the preference made it, and the explanation names it
    hero = response.json()["decisions"]["home-hero"]
    assert (hero["variant"], hero["explanation"]["segment"]) == ("outdoor", "prefers-outdoor")
    assert hero["explanation"]["attributes"] == {"prefs.interests": ["outdoor"]}
    # And once personalization is withdrawn the preference is not read any more
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"personalization": False}, source="api")
    hero = decide(client, {"placements": ["home-hero"]}, X_Tactful_Subject=token).json()
    assert hero["decisions"]["home-hero"]["variant"] == "default"
