"""What `/api/schema/` declares where fuzzing seldom looks, and the answers that match it."""

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.db import OperationalError
from django.test import Client

from consent.services import consent_update, subject_create
from consent.tokens import SUBJECT_HEADER, subject_token_sign
from personalization.signals.taxonomy import event_taxonomy_forget

pytestmark = pytest.mark.django_db

BODY_OPERATIONS = [
    ("put", "/api/v1/consent"),
    ("post", "/api/v1/decide"),
    ("post", "/api/v1/events"),
    ("put", "/api/v1/preferences"),
    ("post", "/ofrep/v1/evaluate/flags"),
    ("post", "/ofrep/v1/evaluate/flags/{key}"),
]


@pytest.fixture
def schema(client: Client, demo: None) -> dict[str, Any]:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return dict(response.json())


@pytest.fixture
def _fresh_taxonomy() -> Iterator[None]:
    # The taxonomy is kept in process memory; this test reads its own database's.
    event_taxonomy_forget()
    yield
    event_taxonomy_forget()


def component(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(schema["components"]["schemas"][name])


def send(client: Client, method: str, path: str, body: Any, **headers: str) -> Any:
    return getattr(client, method)(
        path, orjson.dumps(body), content_type="application/json", headers=headers
    )


@pytest.mark.parametrize(("method", "path"), BODY_OPERATIONS)
def test_schema__operation_with_a_body__declares_413_with_its_error_shape(schema, method, path):
    # Given an operation that reads a JSON body
    responses = schema["paths"][path][method]["responses"]
    # Then a body over TACTFUL_MAX_BODY_BYTES is a declared answer, in the endpoint's error shape
    assert "413" in responses
    assert (
        responses["413"]["content"]["application/json"]["schema"]
        == (responses["400"]["content"]["application/json"]["schema"])
    )


def test_schema__ofrep_bulk_failure__has_no_key(schema):
    # Given the bulk evaluation, which has no flag key to name
    # Then its failure shape does not require one, while the single flag's does
    assert "key" not in component(schema, "OfrepBulkFailure")["properties"]
    assert "key" in component(schema, "OfrepFailure")["required"]


def test_schema__context__an_object_of_attribute_values(schema):
    # Given the decide request's context
    context = component(schema, "DecideRequestRequest")["properties"]["context"]
    # Then it is at most 50 attributes, each a bounded scalar or a list of them
    assert (context["type"], context["maxProperties"]) == ("object", 50)
    kinds = [value.get("type") for value in context["additionalProperties"]["anyOf"]]
    assert kinds == ["string", "number", "boolean", "array"]


def test_schema__events__any_item_but_only_the_batch_refused(schema):
    # Given the events request
    events = component(schema, "EventsRequestRequest")["properties"]["events"]
    # Then the batch is bounded, and an item may be anything (each is judged in the 202)
    assert events["maxItems"] == 50
    event, anything_else = events["items"]["anyOf"]
    assert event["required"] == ["type"]
    assert set(anything_else) == {"description"}


def test_schema__registries__named_as_they_are_when_generated(schema):
    # Given the demo storefront and the seeded consent registries
    # When the schema is generated
    consent = component(schema, "ConsentUpdateRequest")
    decide = component(schema, "DecideRequestRequest")
    preferences = component(schema, "PreferencesUpdateRequest")
    # Then purposes, notice versions, placements and preference values are the existing ones
    purposes = consent["properties"]["purposes"]
    assert set(purposes["properties"]) == {
        "necessary",
        "personalization",
        "measurement",
        "advertising",
    }
    assert purposes["properties"]["necessary"]["enum"] == [True]
    assert (purposes["additionalProperties"], purposes["minProperties"]) == (False, 1)
    assert component(schema, "NoticeVersionEnum")["enum"] == [1]
    assert component(schema, "PlacementsEnum")["enum"] == [
        "free-shipping-banner",
        "home-hero",
        "recommendations",
    ]
    interests = preferences["properties"]["preferences"]["properties"]["interests"]
    assert interests["items"]["enum"] == ["outdoor", "running", "fashion", "home"]
    assert decide["properties"]["placements"]["maxItems"] == 100


def test_schema__registry_unreadable__the_fields_shape_alone(client, db, monkeypatch):
    # Given a database without the purpose registry (a deploy check before `migrate`)
    def unreadable() -> None:
        raise OperationalError("no such table: consent_purpose")

    monkeypatch.setattr("consent.serializers.purpose_list", unreadable)
    # When the schema is generated
    response = client.get("/api/schema/?format=json")
    # Then it still is, with purposes described by their shape alone
    assert response.status_code == 200
    request = response.json()["components"]["schemas"]["ConsentUpdateRequest"]
    assert request["properties"]["purposes"]["additionalProperties"] == {"type": "boolean"}


def test_schema__consent_update__a_body_with_purposes_or_a_tc_or_gpp_string(schema):
    # Given the consent update
    operation = schema["paths"]["/api/v1/consent"]["put"]
    # Then a body is required, with purposes, a TC string, a GPP string or several
    assert operation["requestBody"]["required"] is True
    request = component(schema, "ConsentUpdateRequest")
    assert request["anyOf"] == [
        {"required": ["purposes"]},
        {"required": ["tc_string"]},
        {"required": ["gpp_string"]},
    ]
    # And gpp_sid only with a GPP string
    assert request["not"] == {
        "allOf": [{"required": ["gpp_sid"]}, {"not": {"required": ["gpp_string"]}}]
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/decide", {"placements": [" home-hero"]}),
        ("post", "/api/v1/decide", {"placements": ["home-hero\n"]}),
        ("post", "/api/v1/decide", {"placements": [7]}),
        ("post", "/api/v1/decide", {"context": {"device\n": "mobile"}}),
        ("post", "/api/v1/decide", {"context": {"n": 2**53}}),
        ("post", "/api/v1/decide", {"context": {"n": 1e300}}),
        ("put", "/api/v1/consent", {"purposes": {"necessary": True}, "control": " toggle"}),
        ("put", "/api/v1/consent", {"purposes": {"necessary": True}, "control": "toggle\n"}),
        ("put", "/api/v1/consent", {"purposes": {"necessary": True}, "notice_version": "1"}),
        ("put", "/api/v1/consent", {"purposes": {"necessary": True}, "notice_version": 1.0}),
        ("put", "/api/v1/consent", {"purposes": {"necessary": True}, "notice_version": True}),
        ("put", "/api/v1/consent", {"tc_string": 5}),
    ],
)
def test_api__body_outside_the_schema__refused_as_invalid(client, demo, method, path, body):
    # Given a body the schema does not allow, which a looser reading (trimmed, coerced, `$`
    # before a newline) would have taken or refused for another reason
    # When it is sent
    response = send(client, method, path, body)
    # Then it is refused for its shape
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(
    "context", [{"targetingKey": 5}, {"n": [1e300]}, {"device\n": "mobile"}, {"_": {}}]
)
def test_ofrep__context_outside_the_schema__invalid_context(client, demo, context):
    # Given an OpenFeature context the schema does not allow
    # When every flag is evaluated
    response = send(client, "post", "/ofrep/v1/evaluate/flags", {"context": context})
    # Then it is refused in OFREP's shape
    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_CONTEXT"


def test_ofrep__null_targeting_key__ignored_like_a_string(client, demo):
    # Given an OpenFeature context whose targeting key is null
    # When every flag is evaluated
    response = send(client, "post", "/ofrep/v1/evaluate/flags", {"context": {"targetingKey": None}})
    # Then it is evaluated, as the schema allows
    assert response.status_code == 200


def test_events__null_item__rejected_alone_in_the_202(
    client, demo, django_capture_on_commit_callbacks, _fresh_taxonomy
):
    # Given a subject who granted personalization
    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": True}, source="api")
    token = subject_token_sign(subject.public_id)
    shoes = {"type": "product_view", "properties": {"category": "shoes"}}
    # When a batch holds a null next to a good event
    response = send(
        client, "post", "/api/v1/events", {"events": [None, shoes]}, **{SUBJECT_HEADER: token}
    )
    # Then the good one is stored and the null is rejected on its own, like any other non-event
    assert response.status_code == 202
    body = response.json()
    assert (body["accepted"], body["dropped"]) == (1, 1)
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [(0, "invalid_event")]
