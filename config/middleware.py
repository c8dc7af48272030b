"""Request plumbing: request ids, the access log and HTTP metrics, probes by address, 503s.

`ProbeMiddleware` goes first: load balancers, kubelets and Prometheus reach a process by its
address, which is not in ALLOWED_HOSTS. `RequestContextMiddleware` goes right after it.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from prometheus_client import Counter, Histogram

from config.api import error_body
from config.logging import request_id_var

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("config.access")

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
REQUEST_ID_HEADER = "X-Request-ID"
# A request id from a proxy is kept when it looks like one; anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
RETRY_AFTER_SECONDS = 5

HTTP_REQUESTS = Counter(
    "tactful_http_requests",
    "HTTP responses by method, route (the URL pattern, never the raw path) and status.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "tactful_http_request_duration_seconds",
    "Time from the first middleware to the response, by route.",
    ["route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)

type GetResponse = Callable[[HttpRequest], HttpResponseBase]


def _probe_host() -> str | None:
    for host in settings.ALLOWED_HOSTS:
        if host == "*":
            return None
        if host:
            return host.lstrip(".")
    return "localhost"


class ProbeMiddleware:
    """Answer health probes and metrics scrapes whatever Host header they carry.

    Only GET/HEAD of the probe paths, whose answers never depend on the host.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path in PROBE_PATHS and request.method in ("GET", "HEAD"):
            host = _probe_host()
            if host is not None:
                request.META["HTTP_HOST"] = host
        return self.get_response(request)


def unavailable_component(exc: BaseException) -> str | None:
    """Which backing service an exception says is down: "database", "redis" or None."""
    if isinstance(exc, OperationalError | InterfaceError):
        return "database"
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return "redis"
    return None


class RequestContextMiddleware:
    """A request id for every request (kept from `X-Request-ID` when valid, echoed back),
    one access-log line and HTTP metrics per response, and a 503 with a clear body when a view
    fails because the database or Redis cannot be reached."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self._observe(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            request_id_var.reset(token)

    def _observe(self, request: HttpRequest, status: int, seconds: float) -> None:
        match = request.resolver_match
        route = "/" + match.route if match is not None else "<unmatched>"
        method = request.method if request.method in _METHODS else "OTHER"
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = self._children.setdefault(
                key,
                (
                    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
                    HTTP_SECONDS.labels(route=route),
                ),
            )
        children[0].inc()
        children[1].observe(seconds)
        if request.path not in PROBE_PATHS and access_logger.isEnabledFor(logging.INFO):
            duration_ms = round(seconds * 1000, 2)
            access_logger.info(
                "%s %s %s %sms",
                method,
                route,
                status,
                duration_ms,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )

    def process_exception(self, request: HttpRequest, exception: Exception) -> JsonResponse | None:
        component = unavailable_component(exception)
        if component is None:
            return None
        logger.warning(
            "The %s is unavailable; answered 503.",
            component,
            exc_info=exception,
            extra={"component": component},
        )
        response = JsonResponse(
            error_body(
                "service_unavailable",
                f"The {component} is unavailable right now; try again shortly.",
            ),
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
