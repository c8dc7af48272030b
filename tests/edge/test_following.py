"""The edge follows the origin: a publish reaches it by push, or by its poll when the push is
lost; when the origin is down it keeps answering from its last snapshot; a revoked key is
refused, the snapshot it had kept."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.edge.live import Origin, Worker, live_origin, live_worker, until_revision
from tests.edge.visitors import both, post, subject_headers
from tests.faults.live import RedisServer, wait_until

DISABLE_HERO = (
    "from personalization.models import Placement; "
    "from personalization.services import placement_set_enabled; "
    "placement_set_enabled(placement=Placement.objects.get(key='home-hero'), enabled=False)"
)
MOBILE = {"context": {"device": "mobile"}}


@pytest.fixture
def fresh_origin(tmp_path: Path) -> Iterator[Origin]:
    with live_origin(tmp_path) as started:
        yield started


def test_following__publish__the_edge_follows_by_push(fresh_origin: Origin, tmp_path: Path):
    # Given an edge that would not poll for an hour
    with live_worker(fresh_origin.base, fresh_origin.edge_key, tmp_path / "w.log",
                     POLL_SECONDS="3600") as worker:  # fmt: skip
        wait_until(lambda: worker.metric("tactful_edge_push_connected") == 1, "push connected")
        revision = worker.readyz()["revision"]
        # When a marketer turns the hero off
        fresh_origin.shell(DISABLE_HERO)
        # Then the edge is on the new revision, and decides as the origin does
        until_revision(worker, revision + 1)
        edge, source = both(fresh_origin, worker, "/api/v1/decide", MOBILE)
        assert edge.json() == source.json()
        assert edge.json()["decisions"]["home-hero"]["reason"] == "DISABLED"


def test_following__push_lost__the_edge_follows_by_polling(fresh_origin: Origin, tmp_path: Path):
    # Given an edge without the revision stream, polling every second
    with live_worker(fresh_origin.base, fresh_origin.edge_key, tmp_path / "w.log",
                     PUSH="false", POLL_SECONDS="1") as worker:  # fmt: skip
        revision = worker.readyz()["revision"]
        assert worker.metric("tactful_edge_push_connected") == 0
        # When a marketer publishes
        fresh_origin.shell(DISABLE_HERO)
        # Then the edge follows within a few polls (requests keep it polling)
        until_revision(worker, revision + 1)
        assert worker.metric("tactful_edge_snapshot_fetches_total", result="updated") >= 2


def test_following__origin_down__the_edge_answers_from_its_last_snapshot(
    fresh_origin: Origin, tmp_path: Path
):
    with live_worker(fresh_origin.base, fresh_origin.edge_key, tmp_path / "w.log",
                     POLL_SECONDS="1", FORWARD_TIMEOUT_MS="1000") as worker:  # fmt: skip
        # Given answers while the origin is up, and a subject the edge must forward
        anonymous = post(worker.base, "/api/v1/decide", MOBILE).json()
        personal = subject_headers(fresh_origin, {"personalization": True})
        measured = subject_headers(fresh_origin, {"measurement": True})
        split = post(worker.base, "/api/v1/decide", MOBILE, headers=measured).json()
        # When the origin dies
        fresh_origin.server.process.kill()
        fresh_origin.server.process.wait(10)
        # Then the edge goes on answering, with no error, from its last snapshot
        for _ in range(20):
            assert post(worker.base, "/api/v1/decide", MOBILE).json() == anonymous
            assert post(worker.base, "/api/v1/decide", MOBILE, headers=measured).json() == split
        wait_until(lambda: worker.metric("tactful_edge_snapshot_fetches_total", result="failed") > 0,
                   "a failed snapshot check")  # fmt: skip
        assert worker.readyz()["ready"] is True
        # A subject it would forward gets what the edge can decide without the origin
        degraded = post(worker.base, "/api/v1/decide", {"context": {"device": "desktop"}},
                        headers=personal)  # fmt: skip
        assert degraded.status_code == 200
        assert degraded.json()["decisions"]["home-hero"]["reason"] == "DEFAULT"
        assert worker.metric("tactful_edge_degraded_total", why="prefs_or_signals") >= 1
        assert post(worker.base, "/api/v1/decide", {"placements": ["nope"]}).status_code == 400


def test_following__edge_key_revoked__refused_and_the_last_snapshot_kept(tmp_path: Path):
    # Given an origin sharing its cache (a throw-away Redis) with the admin's process
    redis = RedisServer()
    redis.start()
    try:
        with (
            live_origin(tmp_path, REDIS_URL=redis.url) as fresh_origin,
            live_worker(fresh_origin.base, fresh_origin.edge_key, tmp_path / "w.log",
                        POLL_SECONDS="1") as worker,
        ):  # fmt: skip
            wait_until(lambda: worker.metric("tactful_edge_push_connected") == 1, "push connected")
            # When the admin revokes the edge's key
            fresh_origin.shell(
                "from personalization.edge.models import EdgeKey; "
                "from personalization.edge.services import edge_key_revoke; "
                "[edge_key_revoke(edge_key=k) for k in EdgeKey.objects.all()]"
            )
            # Then the origin refuses it, and the edge keeps deciding from what it had
            refused = httpx.get(f"{fresh_origin.base}/api/v1/edge/snapshot", timeout=5,
                                headers={"Authorization": f"Bearer {fresh_origin.edge_key}"})  # fmt: skip
            assert refused.status_code == 401
            wait_until(lambda: worker.metric("tactful_edge_snapshot_fetches_total", result="failed") > 0,
                       "a refused snapshot check")  # fmt: skip
            assert post(worker.base, "/api/v1/decide", MOBILE).status_code == 200
    finally:
        redis.stop()
