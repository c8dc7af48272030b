"""Rate limit of new subjects per client address: nobody mints pseudonymous visitors endlessly.

Without it one address could create subjects as fast as it can send requests, each with a fresh
events budget of its own. Behind a large NAT (an office, a mobile carrier) many visitors share
an address: raise `TACTFUL_NEW_SUBJECTS_RATE_LIMIT` there.
"""

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request

from config.throttling import FixedWindowThrottle, address_hash


class SubjectCreationThrottle(FixedWindowThrottle):
    scope = "subjects"

    def rate(self) -> tuple[int, int]:
        tactful = settings.TACTFUL
        return (
            int(tactful["NEW_SUBJECTS_RATE_LIMIT"]),
            int(tactful["NEW_SUBJECTS_RATE_WINDOW_SECONDS"]),
        )

    def counts_for(self, request: HttpRequest | Request) -> str:
        return address_hash(request)
