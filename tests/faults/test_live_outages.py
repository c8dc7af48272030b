"""Outages under load on real server processes: zero 5xx on the decision endpoints, the metrics
show the degraded path, and every process catches up with the latest revision without a restart.

- Redis: two uvicorn processes on a throw-away `redis-server` (started and killed here) and a
  SQLite file; runs in every mode.
- PostgreSQL: two uvicorn processes reach a throw-away database on the PostgreSQL server of
  DATABASE_URL through a TCP proxy, which is closed to make the database unreachable and opened
  again to recover. Runs when DATABASE_URL is PostgreSQL, and then fails if it is unreachable.
"""

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import psycopg
import pytest

from tests.faults.live import (
    Call,
    RedisServer,
    Server,
    TcpProxy,
    free_port,
    load,
    manage,
    metric,
    server_env,
    servers,
    wait_until,
)

pytestmark = pytest.mark.live

PUBLISH = (
    "from personalization import services; from personalization.models import Placement, "
    "Revision; services.placement_set_enabled(placement=Placement.objects.get(key="
    "'recommendations'), enabled=False); print(Revision.objects.latest().number)"
)
LATEST = "from personalization.models import Revision; print(Revision.objects.latest().number)"
EVENT = orjson.dumps({"events": [{"type": "product_view", "properties": {"category": "shoes"}}]})


def mixed_calls(bases: list[str], token: str, rounds: int) -> list[Call]:
    """Per round and server: 8 decisions (native and OFREP, anonymous and the subject's),
    1.5 event batches and 0.5 consent reads or writes: the harness's 80/15/5 mix."""
    calls = []
    subject = {"X-Tactful-Subject": token}
    for n in range(rounds):
        for base in bases:
            decide = orjson.dumps({"context": {"device": "mobile"}})
            calls += [
                Call("decide", "POST", f"{base}/api/v1/decide", decide),
                Call("decide", "POST", f"{base}/api/v1/decide", decide, subject),
                Call("decide", "POST", f"{base}/ofrep/v1/evaluate/flags", b'{"context": {}}'),
                Call("decide", "POST", f"{base}/ofrep/v1/evaluate/flags/home-hero", b"{}", subject),
            ] * 2
            calls += [Call("events", "POST", f"{base}/api/v1/events", EVENT, subject)]
            if n % 2:
                calls += [Call("events", "POST", f"{base}/api/v1/events", EVENT, subject)]
                calls += [Call("consent", "GET", f"{base}/api/v1/consent", b"", subject)]
    return calls


def revision_of(server: Server) -> int:
    return int(httpx.post(f"{server.base}/api/v1/decide", json={}, timeout=10).json()["revision"])


def serves(server: Server, revision: int) -> Callable[[], bool]:
    def check() -> bool:
        return revision_of(server) == revision

    return check


def ready_again(server: Server) -> Callable[[], bool]:
    def check() -> bool:
        return httpx.get(f"{server.base}/readyz", timeout=10).status_code == 200

    return check


def still_running(started: list[Server], pids: list[int]) -> bool:
    return [s.process.pid for s in started] == pids and all(
        s.process.poll() is None for s in started
    )


def test_redis_stopped_under_load__decisions_go_on_then_catch_up_without_restart(tmp_path):
    # Given two server processes on a throw-away Redis and a SQLite file, and a consented subject
    redis = RedisServer()
    redis.start()
    env = server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=redis.url,
        TACTFUL_VAR_DIR=str(tmp_path),
    )
    try:
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "seed_demo", "-v0")
        with servers(env, 2, tmp_path) as started:
            a, _ = started
            consent = httpx.put(
                f"{a.base}/api/v1/consent", json={"purposes": {"personalization": True}}
            )
            token = consent.json()["token"]
            known = revision_of(a)
            assert all(revision_of(s) == known for s in started)
            pids = [s.process.pid for s in started]
            # When Redis stops under load
            redis.stop()
            statuses = load(mixed_calls([s.base for s in started], token, rounds=8))
            # Then no decision endpoint answers a 5xx; events are 503 or dropped; consent reads on
            assert all(code < 500 for code in statuses["decide"]), statuses
            assert set(statuses["events"]) <= {202, 503}, statuses
            assert set(statuses["consent"]) == {200}, statuses
            # And each process's metrics and readiness show the degraded path
            for server in started:
                assert metric(server.base, "tactful_degraded_total", component="consent") > 0
                assert metric(server.base, "tactful_http_requests_total", status="500") == 0, (
                    server.base
                )
                ready = httpx.get(f"{server.base}/readyz", timeout=10)
                assert ready.status_code == 503
                assert ready.json()["checks"]["redis"]["ok"] is False
            # When a revision is published while Redis is down (no broadcast, no cached number)
            newer = int(manage(env, "shell", "-c", PUBLISH).split()[-1])
            assert newer > known
            # Then every process finds it in the database at its periodic check
            for server in started:
                wait_until(serves(server, newer), f"{server.base} at r{newer} without Redis")
            # When Redis comes back empty
            redis.start()
            # Then every process still serves it, without a restart, and is ready again
            for server in started:
                assert revision_of(server) == newer
                wait_until(ready_again(server), f"{server.base} ready again")
            assert still_running(started, pids)
    finally:
        redis.stop()


def test_process_started_with_redis_stopped__decides_from_the_database_configuration(tmp_path):
    # Given the demo published in a SQLite file, and a Redis that is down when the process starts
    seeded = server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", TACTFUL_VAR_DIR=str(tmp_path)
    )
    seeded.pop("REDIS_URL", None)
    manage(seeded, "migrate", "--no-input", "-v0")
    manage(seeded, "seed_demo", "-v0")
    latest = int(manage(seeded, "shell", "-c", LATEST).split()[-1])
    stopped = {**seeded, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with servers(stopped, 1, tmp_path) as (server,):
        # When its first visitors ask for decisions
        answers = [
            httpx.post(
                f"{server.base}/api/v1/decide",
                json={"placements": ["home-hero"], "context": {"device": "mobile"}},
                timeout=10,
            )
            for _ in range(3)
        ]
        ready = httpx.get(f"{server.base}/readyz", timeout=10).json()["checks"]
    # Then each is decided from the published configuration, not an empty stand-in
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert {a.json()["revision"] for a in answers} == {latest}
    assert {a.json()["decisions"]["home-hero"]["variant"] for a in answers} == {"mobile"}
    # And readiness blames Redis only, not the snapshot
    assert ready["snapshot"]["ok"] is True and ready["redis"]["ok"] is False


POSTGRES = os.environ.get("DATABASE_URL", "")


@pytest.fixture
def throwaway_database() -> Iterator[str]:
    """A fresh database on the PostgreSQL server of DATABASE_URL; its URL. Dropped afterwards."""
    name = f"tactful_faults_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        yield urlsplit(POSTGRES)._replace(path=f"/{name}").geturl()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def consent_events(database_url: str, token: str) -> int:
    public_id = token.split(":")[0].rpartition(".")[0]
    with psycopg.connect(database_url, connect_timeout=5) as connection:
        row = connection.execute(
            "SELECT count(*) FROM consent_consentevent e JOIN consent_subject s "
            "ON e.subject_id = s.id WHERE s.public_id = %s",
            (public_id,),
        ).fetchone()
    assert row is not None
    return int(row[0])


needs_postgres = pytest.mark.skipif(
    not POSTGRES.startswith("postgres"),
    reason="embedded mode: DATABASE_URL is not PostgreSQL, so there is no server to cut off",
)


@contextlib.contextmanager
def postgres_behind_a_proxy(
    tmp_path: Path, database: str
) -> Iterator[tuple[dict[str, str], dict[str, str], TcpProxy]]:
    """A throw-away Redis, and `database` reached through a proxy that the test may cut: the
    server environment straight to the database (for commands), the one through the proxy (for
    servers), and the proxy."""
    redis = RedisServer()
    redis.start()
    target = urlsplit(database)
    proxy = TcpProxy((target.hostname or "127.0.0.1", target.port or 5432))
    proxy.start()
    direct = server_env(DATABASE_URL=database, REDIS_URL=redis.url, TACTFUL_VAR_DIR=str(tmp_path))
    credentials = target.netloc.rpartition("@")[0]
    address = f"127.0.0.1:{proxy.port}"
    netloc = f"{credentials}@{address}" if credentials else address
    try:
        yield direct, {**direct, "DATABASE_URL": target._replace(netloc=netloc).geturl()}, proxy
    finally:
        proxy.stop()
        redis.stop()


@needs_postgres
def test_postgres_unreachable_under_load__last_known_good_consent_closed_then_recovery(
    tmp_path: Path, throwaway_database: str
):
    # Given two processes reaching PostgreSQL through a proxy, on a throw-away Redis
    with postgres_behind_a_proxy(tmp_path, throwaway_database) as (direct, via_proxy, proxy):
        manage(direct, "migrate", "--no-input", "-v0")
        manage(direct, "seed_demo", "-v0")
        with servers(via_proxy, 2, tmp_path) as started:
            a, b = started
            token = httpx.put(
                f"{a.base}/api/v1/consent", json={"purposes": {"personalization": True}}
            ).json()["token"]
            subject = {"X-Tactful-Subject": token}
            for server in started:
                assert httpx.post(f"{server.base}/api/v1/decide", json={}, headers=subject).json()[
                    "consent"
                ]["personalization"]
            known = revision_of(a)
            assert revision_of(b) == known
            events_before = consent_events(throwaway_database, token)
            pids = [s.process.pid for s in started]
            # When PostgreSQL becomes unreachable under load
            proxy.stop()
            statuses = load(mixed_calls([s.base for s in started], token, rounds=6))
            withdraw = httpx.put(
                f"{b.base}/api/v1/consent",
                json={"purposes": {"personalization": False}},
                headers=subject,
                timeout=15,
            )
            # Then decisions go on from the last-known-good snapshot, with the cached consent
            assert all(code < 500 for code in statuses["decide"]), statuses
            for server in started:
                answer = httpx.post(
                    f"{server.base}/api/v1/decide", json={}, headers=subject, timeout=15
                ).json()
                assert answer["revision"] == known
                assert answer["consent"]["personalization"] is True
            # And a consent write is refused with a clear 503
            assert withdraw.status_code == 503
            assert withdraw.json()["error"]["code"] == "service_unavailable"
            ready = httpx.get(f"{a.base}/readyz", timeout=15).json()["checks"]
            assert ready["database"]["ok"] is False and ready["snapshot"]["ok"] is True
            # When a revision is published meanwhile, and the database comes back
            newer = int(manage(direct, "shell", "-c", PUBLISH).split()[-1])
            assert revision_of(b) == known
            proxy.start()
            # Then every process serves it without a restart; the refused write left nothing
            for server in started:
                wait_until(serves(server, newer), f"{server.base} at r{newer}")
                assert (
                    metric(server.base, "tactful_degraded_total", component="database")
                    + (metric(server.base, "tactful_degraded_total", component="snapshot"))
                    > 0
                )
            assert still_running(started, pids)
            assert consent_events(throwaway_database, token) == events_before
            again = httpx.put(
                f"{b.base}/api/v1/consent",
                json={"purposes": {"personalization": False}},
                headers=subject,
                timeout=15,
            )
            assert again.status_code == 200
            assert consent_events(throwaway_database, token) == events_before + 1


@needs_postgres
def test_postgres_connections_cut_while_idle__first_request_after_recovery_succeeds(
    tmp_path: Path, throwaway_database: str
):
    # Given a process whose pool holds idle connections to PostgreSQL, through a proxy
    with postgres_behind_a_proxy(tmp_path, throwaway_database) as (direct, via_proxy, proxy):
        manage(direct, "migrate", "--no-input", "-v0")
        with servers(via_proxy, 1, tmp_path) as (server,):
            for _ in range(5):
                assert httpx.get(f"{server.base}/api/v1/preferences").status_code == 200
            # When every connection is cut while nobody uses them, and the server comes back
            proxy.stop()
            proxy.start()
            # Then the very first requests that need the database succeed: a pooled connection
            # that died is checked and replaced before it is lent
            statuses = [
                httpx.get(f"{server.base}/api/v1/preferences", timeout=15).status_code
                for _ in range(5)
            ]
            assert statuses == [200] * 5
