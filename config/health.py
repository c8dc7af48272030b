"""`/healthz` (the process answers) and `/readyz` (it can serve: database, snapshot, Redis).

`/readyz` runs every check, each bounded by `HEALTH_TIMEOUT_SECONDS`, and reports each in its
JSON body; the checks named in `READY_CHECKS` decide between 200 and 503. Error details name the
exception class only: the body may be seen by anyone who can reach the port.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()
REDIS_TIMEOUT_SECONDS = 0.5


@never_cache
@require_safe
def healthz_view(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers HTTP. Touches no dependency."""
    return JsonResponse({"status": "ok"})


def _redis_client(url: str) -> redis.Redis:
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.setdefault(
                url,
                redis.Redis.from_url(
                    url,
                    socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                ),
            )
    return client


def database_check() -> dict[str, Any]:
    """The database answers; the latest published revision it holds."""
    from personalization.snapshot import revision_latest_stored

    return {"latest_revision": revision_latest_stored()}


def snapshot_loaded() -> int | None:
    """The revision this process holds, without touching the database; None before any load."""
    # Read, never refreshed here: a probe must not wait on the database for what is in memory.
    from personalization.snapshot import _holder

    snapshot = _holder.snapshot
    return None if snapshot is None else snapshot.revision


def snapshot_check() -> dict[str, Any]:
    """Load this process's snapshot (it has none yet); the revision it now decides from."""
    from personalization.snapshot import snapshot_current

    return {"revision": snapshot_current().revision}


def redis_check() -> dict[str, Any]:
    _redis_client(settings.REDIS_URL).ping()
    return {}


async def _run(
    name: str, check: Callable[[], dict[str, Any]], *, thread_sensitive: bool
) -> dict[str, Any]:
    timeout = float(settings.TACTFUL["HEALTH_TIMEOUT_SECONDS"])
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(
            sync_to_async(check, thread_sensitive=thread_sensitive)(), timeout
        )
        result = {"ok": True, **detail}
    except TimeoutError:
        logger.warning("Readiness check %s timed out after %ss.", name, timeout)
        result = {"ok": False, "error": "timeout"}
    except Exception as exc:
        logger.warning("Readiness check %s failed.", name, exc_info=True)
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


async def readiness() -> tuple[bool, dict[str, dict[str, Any]]]:
    """Whether this process is ready, and every check's result."""
    checks: dict[str, dict[str, Any]] = {}
    loaded = snapshot_loaded()
    # Database queries run on the request's own thread, where Django keeps its connection.
    checks["database"] = await _run("database", database_check, thread_sensitive=True)
    if loaded is None:
        snapshot = await _run("snapshot", snapshot_check, thread_sensitive=True)
    else:
        snapshot = {"ok": True, "revision": loaded, "ms": 0.0}
    if snapshot["ok"]:
        latest = checks["database"].get("latest_revision")
        revision = snapshot["revision"]
        # Revision 0 is the empty fallback: fine on a fresh install, not when one exists or
        # when the database could not say.
        if revision == 0 and latest != 0:
            snapshot.update(ok=False, error="no revision loaded")
        elif latest is not None:
            snapshot["behind"] = max(latest - revision, 0)
    checks["snapshot"] = snapshot
    if settings.REDIS_URL:
        checks["redis"] = await _run("redis", redis_check, thread_sensitive=False)
    else:
        checks["redis"] = {"ok": True, "skipped": "REDIS_URL is not set"}
    required = {name.strip() for name in settings.TACTFUL["READY_CHECKS"]}
    ready = all(result["ok"] for name, result in checks.items() if name in required)
    return ready, checks


@never_cache
@require_safe
async def readyz_view(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every required check passes, else 503; each check in the body."""
    ready, checks = await readiness()
    return JsonResponse(
        {"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503
    )
