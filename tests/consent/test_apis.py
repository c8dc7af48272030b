"""Tests of the consent API (`/api/v1/consent`)."""

import orjson
import pytest
from django.test import Client
from django.urls import reverse

from consent.models import ConsentEvent, Subject
from consent.tokens import (
    SUBJECT_COOKIE,
    SUBJECT_HEADER,
    SubjectToken,
    subject_token_read,
    subject_token_sign,
)

NECESSARY_ONLY = {
    "necessary": True,
    "personalization": False,
    "measurement": False,
    "advertising": False,
}


def _core(body):
    return {key: body[key] for key in ("subject", "purposes", "gpc")}


def _put(client, body, **extra):
    return client.put(
        reverse("consent"),
        data=body if isinstance(body, bytes) else orjson.dumps(body),
        content_type="application/json",
        **extra,
    )


def test_consent_get__new_visitor__is_necessary_only_without_subject(client, db):
    # Given a visitor without a token

    # When
    response = client.get(reverse("consent"))

    # Then
    assert response.status_code == 200
    assert response.json() == {
        "subject": None,
        "purposes": NECESSARY_ONLY,
        "gpc": False,
        "basis": {
            "necessary": "always_on",
            "personalization": "default",
            "measurement": "default",
            "advertising": "default",
        },
        "ask": ["personalization", "measurement", "advertising"],
        "notice": 1,
    }
    assert SUBJECT_COOKIE not in response.cookies


def test_consent_put__first_choice__creates_the_subject_and_sets_the_cookie(
    client, db, django_capture_on_commit_callbacks
):
    # Given a visitor without a token

    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = _put(client, {"purposes": {"personalization": True, "advertising": False}})

    # Then
    assert response.status_code == 200
    body = response.json()
    subject = Subject.objects.get()
    assert body["subject"] == subject.public_id
    assert body["purposes"] == {**NECESSARY_ONLY, "personalization": True}
    assert body["gpc"] is False
    assert subject_token_read(body["token"]) == SubjectToken(subject.public_id, 1)
    cookie = response.cookies[SUBJECT_COOKIE]
    assert subject_token_read(cookie.value) == SubjectToken(subject.public_id, 1)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    events = ConsentEvent.objects.order_by("pk")
    assert [(e.purpose.key, e.kind, e.source, e.control) for e in events] == [
        ("personalization", "grant", "api", "api"),
        ("advertising", "refuse", "api", "api"),
    ]


def test_consent_put__with_the_cookie__changes_the_same_subject(
    client, db, django_capture_on_commit_callbacks
):
    # Given a visitor who granted personalization (the client keeps the cookie)
    with django_capture_on_commit_callbacks(execute=True):
        _put(client, {"purposes": {"personalization": True}})

    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = _put(client, {"purposes": {"personalization": False}})

    # Then
    assert response.status_code == 200
    assert Subject.objects.count() == 1
    assert response.json()["purposes"]["personalization"] is False
    assert list(ConsentEvent.objects.order_by("pk").values_list("kind", flat=True)) == [
        "grant",
        "withdraw",
    ]
    assert client.get(reverse("consent")).json()["purposes"]["personalization"] is False


def test_consent_put__with_the_header_token__changes_the_same_subject(
    db, django_capture_on_commit_callbacks
):
    # Given a non-browser client that keeps the token from the first answer, not the cookie
    with django_capture_on_commit_callbacks(execute=True):
        token = _put(Client(), {"purposes": {"measurement": True}}).json()["token"]

    # When
    response = _put(Client(), {"purposes": {"advertising": True}}, headers={SUBJECT_HEADER: token})

    # Then
    assert response.status_code == 200
    assert Subject.objects.count() == 1
    assert response.json()["purposes"] == {
        **NECESSARY_ONLY,
        "measurement": True,
        "advertising": True,
    }


def test_consent_get__with_the_header_token__answers_for_that_subject(
    db, django_capture_on_commit_callbacks
):
    # Given
    with django_capture_on_commit_callbacks(execute=True):
        body = _put(Client(), {"purposes": {"measurement": True}}).json()

    # When
    response = Client().get(reverse("consent"), headers={SUBJECT_HEADER: body["token"]})

    # Then
    assert _core(response.json()) == {
        "subject": body["subject"],
        "purposes": {**NECESSARY_ONLY, "measurement": True},
        "gpc": False,
    }


def test_consent_put__forged_token__never_reaches_another_subject(client, subject):
    # Given a token for an existing subject, with its signature altered
    forged = subject_token_sign(subject.public_id)[:-2] + "xx"
    client.cookies[SUBJECT_COOKIE] = forged

    # When
    response = _put(client, {"purposes": {"advertising": True}})

    # Then a new subject is created for the forger
    assert response.status_code == 200
    assert response.json()["subject"] != subject.public_id
    assert not subject.consent_events.exists()


def test_consent_get__gpc_header__answers_advertising_off(
    client, db, django_capture_on_commit_callbacks
):
    # Given a visitor who granted advertising
    with django_capture_on_commit_callbacks(execute=True):
        _put(client, {"purposes": {"advertising": True}})

    # When the browser sends Global Privacy Control
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("consent"), headers={"Sec-GPC": "1"})

    # Then
    body = response.json()
    assert (body["purposes"]["advertising"], body["gpc"]) == (False, True)
    assert ConsentEvent.objects.filter(kind="signal", source="gpc").count() == 1


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        [],
        "purposes",
        {},
        {"purposes": []},
        {"purposes": {}},
        {"purposes": {"personalization": "true"}},
        {"purposes": {"personalization": 1}},
        {"purposes": {"personalization": None}},
        {"purposes": {"personalization": True, "measurement": "yes"}},
    ],
    ids=[
        "malformed-json",
        "list",
        "string",
        "missing-purposes",
        "purposes-not-object",
        "no-purposes",
        "string-value",
        "number-value",
        "null-value",
        "one-bad-value",
    ],
)
def test_consent_put__bad_body__is_400_and_writes_nothing(client, db, body):
    # Given

    # When
    response = _put(client, body)

    # Then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] in {"invalid", "parse_error"}
    assert error["message"]
    assert not Subject.objects.exists()
    assert not ConsentEvent.objects.exists()
    assert SUBJECT_COOKIE not in response.cookies


def test_consent_put__unknown_purpose__is_400_listing_it_and_writes_nothing(client, db):
    # Given

    # When
    response = _put(client, {"purposes": {"personalization": True, "tracking": True}})

    # Then
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unknown_purpose"
    assert error["details"]["unknown"] == ["tracking"]
    assert not Subject.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_consent_put__necessary_refused__is_400_and_writes_nothing(client, db):
    # Given

    # When
    response = _put(client, {"purposes": {"necessary": False, "measurement": True}})

    # Then
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "purpose_always_on"
    assert not Subject.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_consent_put__csrf_enforced_client__is_not_refused(db):
    # Given a client that enforces CSRF like a browser would (the token is the identity)
    client = Client(enforce_csrf_checks=True)

    # When
    response = _put(client, {"purposes": {"measurement": True}})

    # Then
    assert response.status_code == 200


def test_api_schema__consent__documents_get_and_put(client, db):
    # Given

    # When
    response = client.get(reverse("schema"), headers={"Accept": "application/vnd.oai.openapi"})

    # Then
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/v1/consent:" in schema
    assert "ConsentUpdateRequest" in schema
    assert "ConsentUpdated" in schema


def test_consent_put__too_many_new_subjects_from_one_address__429_and_nothing_written(db, settings):
    # Given a limit of 2 new subjects per address and minute
    settings.TACTFUL = {
        **settings.TACTFUL,
        "NEW_SUBJECTS_RATE_LIMIT": 2,
        "NEW_SUBJECTS_RATE_WINDOW_SECONDS": 60,
    }
    # When one address sends three first choices (no token: each would be a new subject)
    statuses = [
        _put(Client(), {"purposes": {"personalization": True}}).status_code for _ in range(3)
    ]
    # Then the third is refused with a reason and a time to wait, and creates nobody
    assert statuses == [200, 200, 429]
    refused = _put(Client(), {"purposes": {"personalization": True}})
    assert refused.json()["error"]["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Subject.objects.count() == 2


def test_consent_put__known_subject_past_the_new_subject_limit__still_served(
    client, db, settings, django_capture_on_commit_callbacks
):
    # Given an address that used up its new subjects, one of them this client
    settings.TACTFUL = {**settings.TACTFUL, "NEW_SUBJECTS_RATE_LIMIT": 1}
    with django_capture_on_commit_callbacks(execute=True):
        assert _put(client, {"purposes": {"personalization": True}}).status_code == 200
    assert _put(Client(), {"purposes": {"personalization": True}}).status_code == 429
    # When the known subject changes its mind
    response = _put(client, {"purposes": {"personalization": False}})
    # Then it is not counted as a new one
    assert response.status_code == 200
    assert response.json()["purposes"]["personalization"] is False


def test_privacy_center_choice__too_many_new_subjects__429_with_a_message(db, settings):
    # Given an address that may create one new subject
    settings.TACTFUL = {**settings.TACTFUL, "NEW_SUBJECTS_RATE_LIMIT": 1}
    assert Client().post("/privacy/consent", {"action": "accept_all"}).status_code == 302
    # When a second new visitor chooses from the same address
    response = Client().post("/privacy/consent", {"action": "accept_all"})
    # Then the page says so, and nobody was created
    assert response.status_code == 429
    assert "Too many new visitors" in response.content.decode()
    assert Subject.objects.count() == 1
