"""Which other origins may use the APIs and the websocket: one list, from the environment."""

from typing import Any
from urllib.parse import ParseResult

from channels.security.websocket import OriginValidator
from django.conf import settings

# Development with no ALLOWED_HOSTS: Django itself accepts these (see its `validate_host`).
_DEBUG_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def websocket_allowed_origins() -> list[str]:
    """The site's own host names (any scheme and port) and the CORS origins (exactly)."""
    hosts = list(settings.ALLOWED_HOSTS) or (list(_DEBUG_HOSTS) if settings.DEBUG else [])
    return [*hosts, *settings.CORS_ALLOWED_ORIGINS]


class CorsOriginValidator(OriginValidator):
    """Refuses a websocket handshake whose Origin the HTTP APIs would refuse too.

    Channels' `AllowedHostsOriginValidator` admits only the site's own host names; a storefront
    on another origin listed in `TACTFUL_CORS_ALLOWED_ORIGINS` may open the socket as well. The
    list is read at each handshake, so tests and settings overrides see the same rule.
    """

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=())

    def validate_origin(self, parsed_origin: ParseResult | None) -> bool:
        return any(
            self.match_allowed_origin(parsed_origin, pattern)
            for pattern in websocket_allowed_origins()
        )
