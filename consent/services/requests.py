"""The consent that applies to a request or a socket: resolved, with its GPC signal honoured.

Every transport asks here (REST, OFREP, pages, sockets), so Global Privacy Control, the
re-consent rule and the staleness rules are applied one way. `Sec-GPC: 1` turns advertising
off for the request and, recorded once as a signal event, for the subject; a later request
without the header is not an opt-in.
"""

import logging

from asgiref.sync import sync_to_async
from django.http import HttpRequest
from rest_framework.exceptions import Throttled
from rest_framework.request import Request

from consent.models import Subject
from consent.selectors import (
    GPC_HEADER,
    ConsentSnapshot,
    consent_resolve,
    subject_for_request,
    subject_get,
)
from consent.services.consent import consent_record_gpc, subject_create
from consent.throttling import SubjectCreationThrottle
from consent.tokens import SubjectToken, subject_token_from_request

logger = logging.getLogger(__name__)


def gpc_of(request: HttpRequest | Request) -> bool:
    """Whether the request carries the Global Privacy Control signal (exactly "1")."""
    return request.headers.get(GPC_HEADER) == "1"


def consent_for(*, token: SubjectToken | None, gpc: bool) -> ConsentSnapshot:
    """The consent of the subject `token` names (nobody: None), under the GPC signal `gpc`.

    Records the signal for the subject the first time it is seen (one write, then none).
    """
    snapshot = consent_resolve(
        subject_id=token.public_id if token else None,
        version=token.version if token else 0,
        gpc=gpc,
    )
    if not gpc or snapshot.subject_id is None or snapshot.gpc_recorded:
        return snapshot
    try:
        subject = subject_get(public_id=snapshot.subject_id)
        if subject is not None:
            return consent_record_gpc(subject=subject)
    except Exception:
        # Advertising is off for this request all the same; a later request records it.
        logger.warning("Could not record the GPC signal of a subject.", exc_info=True)
    return snapshot


def consent_for_request(request: HttpRequest | Request) -> ConsentSnapshot:
    """The consent that applies to this request: its subject token and its GPC signal."""
    return consent_for(token=subject_token_from_request(request), gpc=gpc_of(request))


async def aconsent_for(*, token: SubjectToken | None, gpc: bool) -> ConsentSnapshot:
    """`consent_for` from the event loop (the cache or the database is read in a thread)."""
    return await sync_to_async(consent_for, thread_sensitive=False)(token=token, gpc=gpc)


def subject_for_change(request: HttpRequest | Request) -> Subject:
    """The request's subject, or a new one for a first choice. New subjects are rate-limited
    per client address (`TACTFUL_NEW_SUBJECTS_RATE_LIMIT`); over it, raises `Throttled`."""
    subject = subject_for_request(request)
    if subject is not None:
        return subject
    throttle = SubjectCreationThrottle()
    if not throttle.allow_request(request):
        raise Throttled(wait=throttle.wait(), detail="Too many new visitors from this address.")
    return subject_create()
