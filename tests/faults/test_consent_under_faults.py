"""Consent under faults, on real processes: a withdrawal made while Redis is cut is never undone,
and an erasure is final whatever is in flight.

Two uvicorn processes share a SQLite file and a throw-away `redis-server` that they reach through
a TCP proxy; the proxy is closed to cut Redis off (Redis itself keeps its data, as in a network
partition) and opened again to heal it. Runs in every mode; nothing touches the machine's Redis.
"""

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis as redis_client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin

from tests.faults.live import (
    RedisServer,
    Server,
    TcpProxy,
    manage,
    server_env,
    servers,
    wait_until,
)

pytestmark = pytest.mark.live

SHOES = {"type": "product_view", "properties": {"category": "shoes"}}


@contextlib.contextmanager
def cut_off_redis(tmp_path: Path) -> Iterator[tuple[list[Server], TcpProxy, RedisServer]]:
    """Two demo servers on a throw-away Redis behind a proxy: the servers, the proxy, Redis."""
    redis = RedisServer()
    redis.start()
    proxy = TcpProxy(("127.0.0.1", redis.port))
    proxy.start()
    env = server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=f"redis://127.0.0.1:{proxy.port}/0",
        TACTFUL_VAR_DIR=str(tmp_path),
    )
    try:
        manage(env, "migrate", "--no-input", "-v0")
        manage(env, "seed_demo", "-v0")
        with servers(env, 2, tmp_path) as started:
            yield started, proxy, redis
    finally:
        proxy.stop()
        redis.stop()


def subject_headers(token: str) -> dict[str, str]:
    return {"X-Tactful-Subject": token}


def consent_put(server: Server, token: str | None, purposes: dict[str, bool]) -> httpx.Response:
    headers = subject_headers(token) if token else {}
    return httpx.put(
        f"{server.base}/api/v1/consent", json={"purposes": purposes}, headers=headers, timeout=15
    )


def hero(server: Server, token: str) -> dict[str, Any]:
    body = httpx.post(
        f"{server.base}/api/v1/decide",
        json={"placements": ["home-hero"]},
        headers=subject_headers(token),
        timeout=15,
    ).json()
    return {**body["decisions"]["home-hero"], "consent": body["consent"]}


def events(server: Server, token: str, n: int = 1) -> dict[str, Any]:
    response = httpx.post(
        f"{server.base}/api/v1/events",
        json={"events": [SHOES] * n},
        headers=subject_headers(token),
        timeout=15,
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def stored_for(redis: RedisServer, subject_id: str) -> list[str]:
    """The keys Redis holds that are derived from the subject (signals, decision history)."""
    client = redis_client.Redis(port=redis.port, decode_responses=True)
    return [
        str(key)
        for pattern in (f"*signals:{subject_id}", f"*decisions:v1:{subject_id}")
        for key in client.keys(pattern)
    ]


class Socket:
    """An open decisions socket read by a thread: every `decisions` message, as it arrives."""

    def __init__(self, server: Server, token: str, placements: list[str]) -> None:
        self.stack = contextlib.ExitStack()
        self.connection = self.stack.enter_context(
            connect(
                server.base.replace("http", "ws") + "/ws/v1/decisions",
                origin=Origin(server.base),
                additional_headers={"Cookie": f"tactful_subject={token}"},
                open_timeout=10,
            )
        )
        self.connection.send(orjson.dumps({"type": "subscribe", "placements": placements}).decode())
        self.pushed: list[tuple[float, dict[str, Any]]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            for frame in self.connection:
                message = orjson.loads(frame)
                if message["type"] == "decisions":
                    self.pushed.append((time.monotonic(), message["decisions"]))

    def latest(self, key: str) -> dict[str, Any] | None:
        return self.pushed[-1][1].get(key) if self.pushed else None

    def shows(self, key: str, variant: str) -> bool:
        latest = self.latest(key)
        return latest is not None and latest["variant"] == variant

    def personalized_since(self, moment: float) -> list[dict[str, Any]]:
        return [
            decision
            for at, decisions in self.pushed
            if at > moment
            for decision in decisions.values()
            if decision["personalized"]
        ]

    def close(self) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            self.stack.close()
        self.reader.join(10)


def test_withdrawal_during_a_redis_cut__never_undone_on_any_process_or_transport(tmp_path):
    with cut_off_redis(tmp_path) as ((a, b), proxy, redis):
        # Given a visitor who viewed three shoes, with the shoe hero on a socket of process b
        granted = consent_put(a, None, {"personalization": True})
        token, subject_id = granted.json()["token"], granted.json()["subject"]
        assert events(a, token, 3)["accepted"] == 3
        assert hero(a, token)["variant"] == "shoes"
        socket = Socket(b, token, ["home-hero"])
        try:
            wait_until(lambda: socket.shows("home-hero", "shoes"), "the shoe hero on the socket")
            # When Redis is cut off and the visitor withdraws on process a
            proxy.stop()
            withdrawn = consent_put(a, token, {"personalization": False})
            # Then the withdrawal is answered as done
            assert withdrawn.status_code == 200
            assert withdrawn.json()["purposes"]["personalization"] is False
            new_token = withdrawn.json()["token"]
            # And the socket on process b falls back to the default, cut or not (its process
            # checks its subjects' consent versions in the database every period)
            wait_until(lambda: socket.shows("home-hero", "default"), "the default on the socket")
            withdrawn_at = time.monotonic()
            # When Redis comes back with everything it held before the cut
            proxy.start()
            # Then, at once, on every process: no personalization, no consent, no events
            for server in (a, b):
                answer = hero(server, new_token)
                assert (answer["variant"], answer["personalized"]) == ("default", False)
                assert answer["consent"]["personalization"] is False
                assert events(server, new_token) == {
                    "accepted": 0,
                    "dropped": 1,
                    "reason": "CONSENT_REQUIRED",
                }
                consent = httpx.get(
                    f"{server.base}/api/v1/consent", headers=subject_headers(new_token)
                ).json()
                assert consent["purposes"]["personalization"] is False
            # And the reactions the cut held up happen: the signals leave Redis
            wait_until(lambda: stored_for(redis, subject_id) == [], "signals deleted from Redis")
            # And even a client still holding the token from before the withdrawal reads it
            for server in (a, b):
                assert hero(server, token)["personalized"] is False
                assert events(server, token)["accepted"] == 0
            # And the socket was never pushed anything personalized after the withdrawal
            assert socket.personalized_since(withdrawn_at) == []
            assert socket.shows("home-hero", "default")
        finally:
            socket.close()
        assert stored_for(redis, subject_id) == []


def test_erasure__open_socket_and_events_in_flight__nothing_left_or_pushed_after(tmp_path):
    with cut_off_redis(tmp_path) as ((a, b), _, redis):
        # Given an outdoor lover with signals and decision history, on a socket of process b
        granted = consent_put(a, None, {"personalization": True})
        token, subject_id = granted.json()["token"], granted.json()["subject"]
        chose = httpx.put(
            f"{a.base}/api/v1/preferences",
            json={"preferences": {"interests": ["outdoor"]}},
            headers=subject_headers(token),
        )
        assert chose.status_code == 200
        token = chose.headers["X-Tactful-Subject"]
        assert hero(a, token)["variant"] == "outdoor"
        events(a, token, 2)
        socket = Socket(b, token, ["home-hero", "recommendations"])
        stop = threading.Event()

        def keep_sending_events() -> None:
            while not stop.is_set():
                for server in (a, b):
                    with contextlib.suppress(httpx.HTTPError):
                        httpx.post(
                            f"{server.base}/api/v1/events",
                            json={"events": [SHOES]},
                            headers=subject_headers(token),
                            timeout=15,
                        )
                        sent.append(time.monotonic())

        sent: list[float] = []
        senders = [threading.Thread(target=keep_sending_events) for _ in range(3)]
        try:
            wait_until(lambda: socket.shows("home-hero", "outdoor"), "the outdoor hero")
            for sender in senders:
                sender.start()
            # When the visitor erases their data while events keep coming
            erased = httpx.delete(
                f"{a.base}/api/v1/subject", headers=subject_headers(token), timeout=15
            )
            erased_at = time.monotonic()
            # Then the erasure is complete
            assert erased.status_code == 200, erased.text
            assert erased.json()["complete"] is True
            # And the socket falls back to anonymous defaults, and stays there while events
            # sent with the erased visitor's token keep arriving
            wait_until(lambda: socket.shows("home-hero", "default"), "the default on the socket")
            wait_until(
                lambda: len([at for at in sent if at > erased_at]) >= 30,
                "30 more event batches after the erasure",
            )
            stop.set()
            for sender in senders:
                sender.join(15)
            assert socket.personalized_since(erased_at) == []
            # And nothing derived from the visitor is left in Redis or served to the old token
            wait_until(lambda: stored_for(redis, subject_id) == [], "no data of the visitor left")
            for server in (a, b):
                answer = hero(server, token)
                assert answer["personalized"] is False
                assert answer["consent"] == {
                    "necessary": True,
                    **dict.fromkeys(("personalization", "measurement", "advertising"), False),
                }
        finally:
            stop.set()
            socket.close()
        assert stored_for(redis, subject_id) == []
