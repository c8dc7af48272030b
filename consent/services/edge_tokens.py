"""Issuing consent tokens: with every change of a subject, and on renewal."""

from django.http.response import HttpResponseBase

from consent.edge_tokens import (
    CONSENT_TOKEN_COOKIE,
    CONSENT_TOKEN_HEADER,
    consent_token_sign,
    token_seconds,
)
from consent.selectors import ConsentSnapshot, consent_resolve
from consent.tokens import token_cookie_set


def consent_token_issue(response: HttpResponseBase, *, consent: ConsentSnapshot) -> str | None:
    """Give the client a fresh consent token of `consent`: the `X-Tactful-Consent` header (for
    the SDK and other clients) and the `tactful_consent` cookie (for edges in front of the
    same site), which lapses with the token; the token (None when tokens are off)."""
    token = consent_token_sign(consent)
    if token is None:
        return None
    response[CONSENT_TOKEN_HEADER] = token
    token_cookie_set(response, CONSENT_TOKEN_COOKIE, token, max_age=token_seconds())
    return token


def consent_token_issue_for(response: HttpResponseBase, *, subject_id: str, version: int) -> None:
    """After a change of the subject, answered at `version`: a token of its consent as it now
    stands (the change has refreshed the cached record)."""
    consent_token_issue(response, consent=consent_resolve(subject_id=subject_id, version=version))
