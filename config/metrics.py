"""`/metrics`: Prometheus exposition of every process's metrics, behind an optional bearer token.

With `PROMETHEUS_MULTIPROC_DIR` set (an empty directory, before the server starts: uvicorn
`--workers N` needs it), each worker writes its values to files there and any worker's `/metrics`
merges them; without it, the answering process's own registry is served.
"""

import hmac
import os
import re
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from config.api import error_body

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Files of live-mode gauges (open websockets, snapshot revision) carry their process id.
_LIVE_FILE = re.compile(r"gauge_live\w+?_(\d+)\.db")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_dead_processes(directory: str) -> None:
    """Drop live gauges of workers that exited (uvicorn has no hook to tell us)."""
    for path in Path(directory).glob("gauge_live*.db"):
        match = _LIVE_FILE.fullmatch(path.name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), directory)


def metrics_registry() -> CollectorRegistry:
    """What `/metrics` serves: every worker's values in multiprocess mode, else this process's."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return REGISTRY
    _forget_dead_processes(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        credentials.strip().encode(), token.encode()
    )


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = str(settings.TACTFUL["METRICS_TOKEN"])
    if token and not _authorized(request, token):
        response = JsonResponse(
            error_body("unauthorized", "A valid bearer token is needed for /metrics."),
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
