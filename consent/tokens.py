"""Subject identity on requests: a signed, expiring token in a cookie or a header.

A token names the subject's public id and the consent version the subject had when the token
was issued: whoever holds the token of a newer version than a cached consent record knows that
record is stale (see `consent.selectors.state`). Every consent write answers with a new token,
and with a fresh consent token for edges (`consent.edge_tokens`).
"""

from dataclasses import dataclass
from typing import Literal, cast

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.request import Request

from consent.edge_tokens import CONSENT_TOKEN_COOKIE

SUBJECT_COOKIE = "tactful_subject"
SUBJECT_HEADER = "X-Tactful-Subject"
# A dedicated salt so that no other signed value of the project can pass for a subject token.
_SALT = "tactful.consent.subject"
# Public ids are URL-safe base64 (no dot): "<public id>.<consent version>".
_VERSION_SEPARATOR = "."


@dataclass(frozen=True, slots=True)
class SubjectToken:
    """What a valid token says: who the subject is, and at which consent version it was issued."""

    public_id: str
    version: int = 0


def _max_age() -> int:
    return int(settings.TACTFUL["SUBJECT_TOKEN_MAX_AGE"])


def subject_token_sign(public_id: str, version: int = 0) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(f"{public_id}{_VERSION_SEPARATOR}{version}")


def subject_token_read(token: str | None) -> SubjectToken | None:
    """What a valid token says; None for a missing, forged, tampered or expired one."""
    if not token:
        return None
    try:
        value = signing.TimestampSigner(salt=_SALT).unsign(token, max_age=_max_age())
    except (signing.BadSignature, ValueError):
        return None
    public_id, _, version = value.rpartition(_VERSION_SEPARATOR)
    if not public_id or not version.isdigit():
        return None
    return SubjectToken(public_id=public_id, version=int(version))


def subject_token_from_request(request: HttpRequest | Request) -> SubjectToken | None:
    """The subject of a request: the cookie first (browsers), then the header (other clients)."""
    return subject_token_read(request.COOKIES.get(SUBJECT_COOKIE)) or subject_token_read(
        request.headers.get(SUBJECT_HEADER)
    )


def _samesite() -> Literal["Lax", "Strict", "None"]:
    # The settings refuse any other value (config/settings/base.py).
    return cast(Literal["Lax", "Strict", "None"], settings.TACTFUL["SUBJECT_COOKIE_SAMESITE"])


def subject_id_from_request(request: HttpRequest | Request) -> str | None:
    token = subject_token_from_request(request)
    return token.public_id if token is not None else None


def token_cookie_set(response: HttpResponseBase, name: str, token: str, *, max_age: int) -> None:
    """Set a token's cookie: HttpOnly, SameSite and Secure as configured."""
    response.set_cookie(
        name,
        token,
        max_age=max_age,
        httponly=True,
        samesite=_samesite(),
        secure=bool(settings.TACTFUL["SUBJECT_COOKIE_SECURE"]),
    )


def subject_token_issue(response: HttpResponseBase, public_id: str, version: int) -> str:
    """Give the client a new token, after a change of the subject: as the cookie (browsers) and
    the `X-Tactful-Subject` response header (other clients), with a consent token beside it;
    the token."""
    # Imported here: issuing a consent token reads consent, and consent's selectors read tokens.
    from consent.services.edge_tokens import consent_token_issue_for

    token = subject_token_sign(public_id, version)
    response[SUBJECT_HEADER] = token
    token_cookie_set(response, SUBJECT_COOKIE, token, max_age=_max_age())
    consent_token_issue_for(response, subject_id=public_id, version=version)
    return token


def subject_cookie_clear(response: HttpResponseBase) -> None:
    """Remove the subject cookie (and the consent token's): after an erasure the browser is a
    new, anonymous visitor."""
    response.delete_cookie(SUBJECT_COOKIE, samesite=_samesite())
    response.delete_cookie(CONSENT_TOKEN_COOKIE, samesite=_samesite())
