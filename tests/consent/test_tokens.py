"""Tests of subject tokens: signing, reading, and the request and cookie helpers."""

import time

import pytest
from django.core import signing
from django.http import HttpResponse
from django.test import RequestFactory

from consent.tokens import (
    SUBJECT_COOKIE,
    SUBJECT_HEADER,
    SubjectToken,
    subject_cookie_clear,
    subject_id_from_request,
    subject_token_issue,
    subject_token_read,
    subject_token_sign,
)


def test_subject_token__signed_then_read__returns_the_public_id_and_version():
    # Given
    token = subject_token_sign("abcDEF123_-xyz", 7)

    # When
    read = subject_token_read(token)

    # Then
    assert read == SubjectToken(public_id="abcDEF123_-xyz", version=7)
    assert not token.startswith("abcDEF123_-xyz:")


def test_subject_token__without_a_version__reads_as_none():
    # Given a value signed like a token, but with no consent version in it
    token = signing.TimestampSigner(salt="tactful.consent.subject").sign("abcDEF123_-xyz")

    # When
    read = subject_token_read(token)

    # Then
    assert read is None


@pytest.mark.parametrize("token", [None, "", "garbage", "a:b", "a:b:c", ":::", "é:ü:ñ"])
def test_subject_token__malformed__reads_as_none(token):
    # Given a value that was never a token

    # When
    public_id = subject_token_read(token)

    # Then
    assert public_id is None


def test_subject_token__tampered__reads_as_none():
    # Given a valid token whose public id was swapped for another one
    token = subject_token_sign("victim", 3)
    _, timestamp, signature = token.split(":")
    tampered = f"attacker.3:{timestamp}:{signature}"

    # When
    public_id = subject_token_read(tampered)

    # Then
    assert public_id is None


@pytest.mark.parametrize(
    "signer",
    [
        signing.TimestampSigner(key="not-the-secret-key", salt="tactful.consent.subject"),
        signing.TimestampSigner(),  # the right key, but another salt: any other signed value
    ],
)
def test_subject_token__forged__reads_as_none(signer):
    # Given a token signed by someone else or for another purpose
    forged = signer.sign("victim.1")

    # When
    public_id = subject_token_read(forged)

    # Then
    assert public_id is None


def test_subject_token__older_than_max_age__reads_as_none(settings, monkeypatch):
    # Given a one-hour token lifetime and a token signed two hours ago
    settings.TACTFUL = {**settings.TACTFUL, "SUBJECT_TOKEN_MAX_AGE": 3600}
    two_hours_ago = time.time() - 7200
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: two_hours_ago)
        token = subject_token_sign("someone")

    # When
    public_id = subject_token_read(token)

    # Then
    assert public_id is None


def test_subject_token__younger_than_max_age__reads_as_the_public_id(settings, monkeypatch):
    # Given a one-hour token lifetime and a token signed half an hour ago
    settings.TACTFUL = {**settings.TACTFUL, "SUBJECT_TOKEN_MAX_AGE": 3600}
    half_an_hour_ago = time.time() - 1800
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: half_an_hour_ago)
        token = subject_token_sign("someone")

    # When
    public_id = subject_token_read(token)

    # Then
    assert public_id == SubjectToken("someone", 0)


def test_subject_id_from_request__cookie_and_header__prefers_the_cookie():
    # Given
    request = RequestFactory().get("/", headers={SUBJECT_HEADER: subject_token_sign("from-header")})
    request.COOKIES[SUBJECT_COOKIE] = subject_token_sign("from-cookie")

    # When
    public_id = subject_id_from_request(request)

    # Then
    assert public_id == "from-cookie"


def test_subject_id_from_request__invalid_cookie__falls_back_to_the_header():
    # Given
    request = RequestFactory().get("/", headers={SUBJECT_HEADER: subject_token_sign("from-header")})
    request.COOKIES[SUBJECT_COOKIE] = "forged"

    # When
    public_id = subject_id_from_request(request)

    # Then
    assert public_id == "from-header"


def test_subject_id_from_request__no_token__is_none():
    # Given
    request = RequestFactory().get("/")

    # When
    public_id = subject_id_from_request(request)

    # Then
    assert public_id is None


@pytest.mark.parametrize("secure", [True, False])
def test_subject_token_issue__any_response__sets_a_signed_httponly_lax_cookie(settings, secure):
    # Given
    settings.TACTFUL = {
        **settings.TACTFUL,
        "SUBJECT_COOKIE_SECURE": secure,
        "SUBJECT_TOKEN_MAX_AGE": 1234,
    }
    response = HttpResponse()

    # When
    token = subject_token_issue(response, "someone", 4)

    # Then the cookie and the header carry it
    cookie = response.cookies[SUBJECT_COOKIE]
    assert cookie.value == token
    assert response[SUBJECT_HEADER] == token
    assert subject_token_read(cookie.value) == SubjectToken("someone", 4)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert bool(cookie["secure"]) is secure
    assert cookie["max-age"] == 1234
    assert cookie["path"] == "/"


def test_subject_token_issue__samesite_none_configured__cross_site_cookie(settings):
    # Given an operator whose storefront is on another site (SameSite=None needs Secure)
    settings.TACTFUL = {
        **settings.TACTFUL,
        "SUBJECT_COOKIE_SAMESITE": "None",
        "SUBJECT_COOKIE_SECURE": True,
    }
    response = HttpResponse()

    # When the cookie is set, and later cleared
    subject_token_issue(response, "someone", 1)
    set_cookie = response.cookies[SUBJECT_COOKIE].output()
    subject_cookie_clear(response)

    # Then both carry SameSite=None, so the browser matches and removes the same cookie
    assert "SameSite=None" in set_cookie and "Secure" in set_cookie
    assert response.cookies[SUBJECT_COOKIE]["samesite"] == "None"
