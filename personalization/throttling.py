"""Rate limits: events per subject (or client address) over HTTP, messages per websocket."""

import time

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request

from config.throttling import FixedWindowThrottle, address_hash
from consent.tokens import subject_id_from_request


class EventsRateThrottle(FixedWindowThrottle):
    """Event requests per subject, else per client address: anonymous visitors' events are
    dropped anyway, and counting their address keeps them from flooding."""

    scope = "events"

    def rate(self) -> tuple[int, int]:
        tactful = settings.TACTFUL
        return int(tactful["EVENTS_RATE_LIMIT"]), int(tactful["EVENTS_RATE_WINDOW_SECONDS"])

    def counts_for(self, request: HttpRequest | Request) -> str:
        subject_id = subject_id_from_request(request)
        return f"s:{subject_id}" if subject_id else f"a:{address_hash(request)}"


class MessageBucket:
    """A token bucket for one websocket's client messages: `burst` at once, `rate` per second."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
