"""OFREP endpoints: protocol shape, errors, ETags, and the real OpenFeature Python client."""

from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client
from openfeature import api as openfeature
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext
from openfeature.flag_evaluation import ErrorCode, Reason

pytestmark = pytest.mark.django_db


def evaluate(client: Client, key: str | None, body: Any, **headers: str):
    url = "/ofrep/v1/evaluate/flags" + (f"/{key}" if key else "")
    data = body if isinstance(body, str | bytes) else orjson.dumps(body)
    return client.post(url, data=data, content_type="application/json", headers=headers)


def test_ofrep_flag__context_match__success_shape(client, demo):
    # When a mobile visitor's hero is evaluated
    response = evaluate(
        client, "home-hero", {"context": {"targetingKey": "u1", "device": "mobile"}}
    )
    # Then OFREP's success shape with Tactful's details in metadata
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == "home-hero"
    assert body["variant"] == "mobile"
    assert body["reason"] == "TARGETING_MATCH"
    assert body["value"]["theme"] == "mobile"
    assert body["metadata"]["reason"] == "TARGETING_MATCH"
    assert body["metadata"]["segment"] == "mobile-visitors"


def test_ofrep_flag__consent_required__default_reason_with_tactful_reason_in_metadata(client, demo):
    # When an anonymous visitor asks for a consent-gated flag
    response = evaluate(client, "recommendations", {"context": {}})
    # Then the OpenFeature reason is DEFAULT and Tactful's is in metadata
    body = response.json()
    assert (body["reason"], body["variant"], body["value"]) == ("DEFAULT", "default", "bestsellers")
    assert body["metadata"]["reason"] == "CONSENT_REQUIRED"


def test_ofrep_flag__unknown_key__404_flag_not_found(client, demo):
    # When
    response = evaluate(client, "nope", {"context": {}})
    # Then
    assert response.status_code == 404
    assert response.json()["errorCode"] == "FLAG_NOT_FOUND"
    assert response.json()["key"] == "nope"
    assert "nope" in response.json()["errorDetails"]


@pytest.mark.parametrize(
    "body", [{"context": []}, {"context": {"device": {"deep": 1}}}, {"context": "x"}]
)
def test_ofrep_flag__invalid_context__400_invalid_context(client, demo, body):
    # When
    response = evaluate(client, "home-hero", body)
    # Then
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_CONTEXT"
    assert response.json()["errorDetails"]


@pytest.mark.parametrize("body", ["{not json", "[1, 2]"])
def test_ofrep_flag__unparseable__400_parse_error(client, demo, body):
    # When
    response = evaluate(client, "home-hero", body)
    # Then
    assert response.status_code == 400
    assert response.json()["errorCode"] == "PARSE_ERROR"


def test_ofrep_bulk__all_flags_with_etag__304_when_unchanged(client, demo):
    # Given a first bulk evaluation
    first = evaluate(client, None, {"context": {"device": "mobile"}})
    assert first.status_code == 200
    flags = {flag["key"]: flag for flag in first.json()["flags"]}
    assert set(flags) == {"home-hero", "recommendations", "free-shipping-banner"}
    assert all("variant" in flag for flag in flags.values())
    etag = first["ETag"]
    # When the same evaluation is asked with If-None-Match
    again = evaluate(client, None, {"context": {"device": "mobile"}}, If_None_Match=etag)
    # Then nothing changed: 304; a different context gives a new body and tag
    assert again.status_code == 304
    assert again["ETag"] == etag
    other = evaluate(client, None, {"context": {"device": "desktop"}}, If_None_Match=etag)
    assert other.status_code == 200
    assert other["ETag"] != etag


def test_ofrep_bulk__invalid_context__400(client, demo):
    response = evaluate(client, None, {"context": {"a": [{"b": 1}]}})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_CONTEXT"


@pytest.mark.django_db(transaction=True)
def test_ofrep__real_openfeature_client_against_live_server__resolves_flags(live_server):
    # Given a live server with the demo storefront and the OFREP provider pointed at it
    call_command("seed_demo", verbosity=0)
    provider = OFREPProvider(base_url=live_server.url, timeout=5)
    openfeature.set_provider(provider)
    client = openfeature.get_client()
    mobile = EvaluationContext(targeting_key="visitor-1", attributes={"device": "mobile"})
    # When flags of every type are resolved
    hero = client.get_object_details("home-hero", {}, mobile)
    banner = client.get_boolean_details(
        "free-shipping-banner",
        True,
        EvaluationContext(targeting_key="v", attributes={"utm_campaign": "spring-sale"}),
    )
    recs = client.get_string_details("recommendations", "fallback", mobile)
    missing = client.get_string_details("no-such-flag", "fallback", mobile)
    # (its keep-alive connection would outlive the live server otherwise)
    provider.session.close()
    openfeature.clear_providers()
    # Then the provider understood every answer
    assert isinstance(hero.value, dict)
    assert hero.value["theme"] == "mobile"
    assert hero.reason == Reason.TARGETING_MATCH
    assert hero.variant == "mobile"
    assert banner.value is True
    assert recs.value == "bestsellers"
    assert recs.reason == Reason.DEFAULT
    assert recs.flag_metadata["reason"] == "CONSENT_REQUIRED"
    assert missing.value == "fallback"
    assert missing.error_code == ErrorCode.FLAG_NOT_FOUND
