"""Subject identity on requests: a signed, expiring token in a cookie or a header."""

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.request import Request

SUBJECT_COOKIE = "tactful_subject"
SUBJECT_HEADER = "X-Tactful-Subject"
# A dedicated salt so that no other signed value of the project can pass for a subject token.
_SALT = "tactful.consent.subject"


def _max_age() -> int:
    return int(settings.TACTFUL["SUBJECT_TOKEN_MAX_AGE"])


def subject_token_sign(public_id: str) -> str:
    return signing.TimestampSigner(salt=_SALT).sign(public_id)


def subject_token_read(token: str | None) -> str | None:
    """The public id in a valid token; None for a missing, forged, tampered or expired one."""
    if not token:
        return None
    try:
        return signing.TimestampSigner(salt=_SALT).unsign(token, max_age=_max_age())
    except (signing.BadSignature, ValueError):
        return None


def subject_id_from_request(request: HttpRequest | Request) -> str | None:
    """The subject of a request: the cookie first (browsers), then the header (other clients)."""
    return subject_token_read(request.COOKIES.get(SUBJECT_COOKIE)) or subject_token_read(
        request.headers.get(SUBJECT_HEADER)
    )


def subject_cookie_set(response: HttpResponseBase, public_id: str) -> str:
    """Set the subject cookie on `response` and return the token it carries."""
    token = subject_token_sign(public_id)
    response.set_cookie(
        SUBJECT_COOKIE,
        token,
        max_age=_max_age(),
        httponly=True,
        samesite="Lax",
        secure=bool(settings.TACTFUL["SUBJECT_COOKIE_SECURE"]),
    )
    return token


def subject_cookie_clear(response: HttpResponseBase) -> None:
    """Remove the subject cookie: after an erasure the browser is a new, anonymous visitor."""
    response.delete_cookie(SUBJECT_COOKIE, samesite="Lax")
