"""Probes: /healthz answers with no dependency; /readyz reports each check and decides."""

import os
import threading

import pytest

from config.health import readiness
from tests.faults.outages import database_down, redis_down

pytestmark = pytest.mark.django_db


def test_healthz__any_state__200_without_a_query(client, django_assert_num_queries):
    # When
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    # Then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz__demo_loaded__200_with_every_check(client, demo):
    # When
    response = client.get("/readyz")
    # Then every check passed and says what it saw
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert checks["database"]["ok"] is True
    assert checks["database"]["latest_revision"] >= 1
    assert checks["snapshot"] == {
        "ok": True,
        "revision": checks["database"]["latest_revision"],
        "behind": 0,
        "ms": checks["snapshot"]["ms"],
    }
    if os.environ.get("REDIS_URL"):
        assert checks["redis"]["ok"] is True
    else:
        assert checks["redis"]["skipped"] == "REDIS_URL is not set"


def test_readyz__fresh_install__ready_at_revision_zero(client):
    # Given nothing published yet
    # When
    body = client.get("/readyz").json()
    # Then the empty configuration is a valid one
    assert body["status"] == "ok"
    assert body["checks"]["snapshot"]["revision"] == 0


def test_readyz__database_down_after_load__503_but_snapshot_still_ok(client, demo):
    # Given a process that loaded its snapshot
    client.post("/api/v1/decide", data=b"{}", content_type="application/json")
    # When the database becomes unreachable
    with database_down():
        response = client.get("/readyz")
    # Then not ready, saying why, while the decisions still have their snapshot
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"] == {
        "ok": False,
        "error": "OperationalError",
        **_ms(checks, "database"),
    }
    assert checks["snapshot"]["ok"] is True
    assert checks["snapshot"]["revision"] >= 1


def test_readyz__database_down_before_any_load__snapshot_not_ok(client, demo):
    # Given a process that never loaded a revision
    from personalization.snapshot import snapshot_reset

    snapshot_reset()
    # When it starts while the database is unreachable
    with database_down():
        checks = client.get("/readyz").json()["checks"]
    # Then it has nothing to decide from
    assert checks["snapshot"]["ok"] is False
    assert checks["snapshot"]["error"] == "no revision loaded"


def test_readyz__only_snapshot_required__database_down_still_ready(client, demo, settings):
    # Given an operator who keeps serving from memory during a database outage
    settings.TACTFUL = {**settings.TACTFUL, "READY_CHECKS": ["snapshot"]}
    client.post("/api/v1/decide", data=b"{}", content_type="application/json")
    # When
    with database_down():
        response = client.get("/readyz")
    # Then ready, with the failing check still reported
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is False


def test_readyz__redis_configured_but_stopped__503_naming_redis(
    client, demo, settings, monkeypatch
):
    # Given Redis is configured and stopped
    redis_down(settings, monkeypatch)
    # When
    response = client.get("/readyz")
    # Then
    assert response.status_code == 503
    redis_check = response.json()["checks"]["redis"]
    assert redis_check["ok"] is False
    assert redis_check["error"] == "ConnectionError"


async def test_readyz__a_check_hangs__reported_as_timeout_not_a_hang(settings, monkeypatch):
    # Given a Redis that accepts connections but never answers, and a short budget
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.TACTFUL = {**settings.TACTFUL, "HEALTH_TIMEOUT_SECONDS": 0.05}
    release = threading.Event()
    monkeypatch.setattr("config.health.redis_check", lambda: release.wait(30) and {})
    monkeypatch.setattr("config.health.database_check", lambda: {"latest_revision": 1})
    monkeypatch.setattr("config.health.snapshot_check", lambda: {"revision": 1})
    try:
        # When
        ready, checks = await readiness()
    finally:
        release.set()
    # Then the probe answers on its own budget, naming the check
    assert ready is False
    assert checks["redis"]["ok"] is False
    assert checks["redis"]["error"] == "timeout"
    assert checks["database"]["ok"] is True


def _ms(checks, name):
    return {"ms": checks[name]["ms"]}
