"""Who may read the edge snapshot and its revision stream: a holder of an active edge key."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

from personalization.edge.selectors import edge_key_check, edge_key_from_request

WWW_AUTHENTICATE = 'Bearer realm="tactful-edge"'
INVALID_KEY = "This edge key is not valid: unknown, malformed or revoked."


class EdgeKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <edge key>`; the key itself becomes `request.auth`."""

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        key = edge_key_from_request(request)
        if key is None:
            return None
        if not edge_key_check(key):
            raise AuthenticationFailed(INVALID_KEY)
        return None, key

    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE


class HasEdgeKey(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.auth is not None


class EdgeKeyScheme(OpenApiAuthenticationExtension):
    """How /api/schema/ names the edge key."""

    target_class = EdgeKeyAuthentication
    name = "edgeKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An edge key (admin → Edge keys, or manage.py create_edge_key).",
        }
