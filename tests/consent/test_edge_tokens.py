"""Consent tokens for edges: issued with every change, renewed on request, verified by the JWKS."""

import base64
import time

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.test import override_settings
from django.urls import reverse

from consent.edge_tokens import (
    CONSENT_TOKEN_COOKIE,
    CONSENT_TOKEN_HEADER,
    _signing_key,
    consent_token_read,
    consent_token_sign,
)
from consent.selectors import ConsentSnapshot
from consent.tokens import SUBJECT_HEADER


def _read(token):
    """The claims of a token that must be valid."""
    claims = consent_token_read(token)
    assert claims is not None
    return claims


def _sign(consent, **kwargs):
    token = consent_token_sign(consent, **kwargs)
    assert token is not None
    return token


def _unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _grant(client, purposes, **extra):
    return client.put(
        reverse("consent"),
        data=orjson.dumps({"purposes": purposes}),
        content_type="application/json",
        **extra,
    )


def _verify_with_jwks(client, token):
    """Check a token as an edge does: with the published public key only."""
    jwk = client.get(reverse("jwks")).json()["keys"][0]
    head, body, signature = token.split(".")
    public = Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"]))
    public.verify(_unb64(signature), f"{head}.{body}".encode())
    assert orjson.loads(_unb64(head))["kid"] == jwk["kid"]
    return orjson.loads(_unb64(body))


def test_consent_put__grant__answers_a_consent_token_the_jwks_verifies(client, db):
    # When a visitor grants personalization
    response = _grant(client, {"personalization": True})
    # Then the body, the header and a cookie carry a token of exactly that consent
    token = response.json()["consent_token"]
    assert token == response[CONSENT_TOKEN_HEADER] == response.cookies[CONSENT_TOKEN_COOKIE].value
    claims = _verify_with_jwks(client, token)
    assert claims["sub"] == response.json()["subject"]
    assert claims["purposes"] == response.json()["purposes"]
    assert claims["gpc"] is False and claims["cv"] >= 1
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert response.cookies[CONSENT_TOKEN_COOKIE]["max-age"] == 300


def test_consent_put__withdrawal__a_fresh_token_without_the_purpose(client, db):
    # Given a grant
    first = _grant(client, {"personalization": True}).json()
    # When it is withdrawn
    second = _grant(client, {"personalization": False}).json()
    # Then the new token says so, at a newer consent version
    old, new = (_read(body["consent_token"]) for body in (first, second))
    assert new.purposes["personalization"] is False and new.version > old.version


def test_preferences_put__change__answers_a_fresh_token_header(client, db):
    # Given a subject who granted personalization (the registry has interests from migrations)
    granted = _grant(client, {"personalization": True})
    # When preferences change
    response = client.put(
        reverse("preferences"),
        data=orjson.dumps({"preferences": {"interests": ["outdoor"]}}),
        content_type="application/json",
        HTTP_X_TACTFUL_SUBJECT=granted[SUBJECT_HEADER],
    )
    # Then a new consent token comes with the new subject token
    assert response.status_code == 200
    claims = _read(response[CONSENT_TOKEN_HEADER])
    assert claims.version > _read(granted.json()["consent_token"]).version


def test_consent_token_renew__subject__fresh_token_with_gpc_of_the_request(client, db):
    # Given a subject
    subject_token = _grant(client, {"advertising": True})[SUBJECT_HEADER]
    client.cookies.clear()
    # When it renews its token, with Global Privacy Control on
    response = client.get(
        reverse("consent-token"), HTTP_X_TACTFUL_SUBJECT=subject_token, HTTP_SEC_GPC="1"
    )
    # Then the token says GPC, and advertising off
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["expires_in"] == 300 and body["token"] == response[CONSENT_TOKEN_HEADER]
    claims = _read(body["token"])
    assert claims.gpc is True and claims.purposes["advertising"] is False


def test_consent_token_renew__no_subject__404_no_subject(client, db):
    response = client.get(reverse("consent-token"))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_subject"


def test_consent_token_renew__no_key_configured__503_consent_tokens_off(client, db):
    # Given a production server without a consent token key, and a subject
    subject_token = _grant(client, {"personalization": True})[SUBJECT_HEADER]
    with override_settings(TACTFUL={**_tactful(), "CONSENT_TOKEN_KEY": ""}, DEBUG=False):
        # When / Then
        response = client.get(reverse("consent-token"), HTTP_X_TACTFUL_SUBJECT=subject_token)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "consent_tokens_off"
        assert client.get(reverse("jwks")).json() == {"keys": []}


def _tactful():
    from django.conf import settings

    return dict(settings.TACTFUL)


def test_consent_token_read__expired__none(db):
    # Given a token issued longer ago than its lifetime
    consent = ConsentSnapshot(subject_id="abc", purposes={"personalization": True}, version=3)
    token = _sign(consent, now=time.time() - 301)
    # Then it is read as nothing
    assert consent_token_read(token) is None
    assert _read(_sign(consent)).subject_id == "abc"


def test_consent_token_read__forged__none(db):
    # Given a token signed by another key, and one whose payload was edited
    consent = ConsentSnapshot(subject_id="abc", purposes={"personalization": False}, version=1)
    genuine = _sign(consent)
    head, _, signature = genuine.split(".")
    edited_payload = (
        base64.urlsafe_b64encode(
            orjson.dumps({"sub": "abc", "purposes": {"personalization": True}})
        )
        .rstrip(b"=")
        .decode()
    )
    other = Ed25519PrivateKey.generate()
    signed = f"{head}.{genuine.split('.')[1]}"
    foreign = (
        f"{signed}.{base64.urlsafe_b64encode(other.sign(signed.encode())).rstrip(b'=').decode()}"
    )
    # Then neither is read
    assert consent_token_read(f"{head}.{edited_payload}.{signature}") is None
    assert consent_token_read(foreign) is None
    assert consent_token_read("not-a-token") is None


def test_development_key__debug_without_key__generated_once_in_var_dir(tmp_path):
    # Given development settings without a configured key
    _signing_key.cache_clear()
    settings_ = {**_tactful(), "CONSENT_TOKEN_KEY": "", "CONSENT_TOKEN_KEY_FILE": ""}
    with override_settings(DEBUG=True, VAR_DIR=tmp_path, TACTFUL=settings_):
        consent = ConsentSnapshot(subject_id="abc", purposes={}, version=1)
        token = _sign(consent)
        # Then a key file was written, readable by its owner only, and verifies the token
        key_file = tmp_path / "consent-token-key.pem"
        assert key_file.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
        assert key_file.stat().st_mode & 0o077 == 0
        assert _read(token).subject_id == "abc"
    _signing_key.cache_clear()


def test_erasure__clears_the_consent_token_cookie(client, db):
    # Given a subject with a consent token cookie
    _grant(client, {"personalization": True})
    # When it erases its data
    response = client.delete(reverse("subject"))
    # Then the consent token's cookie is removed too
    assert response.status_code == 200
    assert response.cookies[CONSENT_TOKEN_COOKIE]["max-age"] == 0


@pytest.mark.parametrize("path", ["/.well-known/jwks.json"])
def test_jwks__well_known__ed25519_public_key_only(client, db, path):
    response = client.get(path)
    keys = response.json()["keys"]
    assert response.status_code == 200 and len(keys) == 1
    assert keys[0]["kty"] == "OKP" and keys[0]["crv"] == "Ed25519" and "d" not in keys[0]
