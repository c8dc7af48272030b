"""The API docs (Swagger UI and Redoc), served with everything they need from this server."""

from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
from rest_framework.response import Response

# The viewers come from drf-spectacular-sidecar's static files; the policy keeps the browser from
# fetching anything elsewhere (Redoc's sidebar links a logo on a CDN, which then just does not
# show). Inline script and style: the viewers' bootstrap snippets and styled components.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ]
)


class _SameOriginOnly:
    @extend_schema(exclude=True)
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().get(request, *args, **kwargs)  # type: ignore[misc]
        response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


class SwaggerDocsView(_SameOriginOnly, SpectacularSwaggerView):
    """`/api/docs/`: Swagger UI, offline."""


class RedocDocsView(_SameOriginOnly, SpectacularRedocView):
    """`/api/redoc/`: Redoc, offline."""
