"""The server as `make run` starts it (`python -m config.serve`), tried as a hostile client would:
no client address or query string in its logs, oversized frames refused before they are
buffered, and a flood of sockets that leaves nothing behind."""

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.faults.live import ROOT, free_port, manage, metric, server_env, wait_until

pytestmark = pytest.mark.live

PERSONAL = "email=bob@example.com&utm_campaign=spring-sale"
FLOODED_SOCKETS = 300


@contextlib.contextmanager
def served(tmp_path: Path, *extra: str) -> Iterator[tuple[str, Path, int]]:
    """One server on a fresh SQLite file with the demo, at log level info: its base URL, its
    log file and its process id."""
    env = server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        TACTFUL_VAR_DIR=str(tmp_path),
        DJANGO_LOG_LEVEL="INFO",
    )
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "seed_demo", "-v0")
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "config.serve", "--port", str(port), *extra],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200, base)
        yield base, log, process.pid
    finally:
        process.terminate()
        process.wait(10)


def ws(base: str, path: str = "/ws/v1/decisions") -> ClientConnection:
    url = base.replace("http", "ws") + path
    return connect(url, origin=Origin(base), open_timeout=10, close_timeout=2)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_server__requests_with_personal_query_strings__no_address_or_query_in_its_logs(
    tmp_path,
):
    with served(tmp_path, "--log-level", "info") as (base, log, _):
        # When a visitor's requests carry personal data in the URL, over HTTP and a socket
        httpx.get(f"{base}/?{PERSONAL}")
        httpx.post(f"{base}/api/v1/decide?{PERSONAL}", json={})
        with ws(base, f"/ws/v1/decisions?{PERSONAL}") as socket:
            socket.send('{"type": "ping"}')
            socket.recv(timeout=10)
    # Then the server logged its requests, but neither the address nor the query string
    text = log.read_text()
    assert "/api/v1/decide" in text
    for personal in ("127.0.0.1", "bob@example.com", "spring-sale", "utm_campaign", "email="):
        assert personal not in text


def test_server__frame_over_the_limit__refused_by_the_server_before_it_is_buffered(tmp_path):
    with served(tmp_path) as (base, _, _), ws(base) as socket:
        # When a client announces a 2 MiB frame (the limit is 16 KiB) and sends only its start
        header = bytes([0x81, 0x80 | 127]) + (2 * 1024 * 1024).to_bytes(8, "big") + bytes(4)
        socket.socket.sendall(header + b"x" * 16)
        # Then the server's websocket layer closes the connection with 1009 on reading the
        # frame's header, without waiting for (or buffering) the rest: its own reason, not the
        # application's check of a message it was handed whole
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
    assert "exceeds limit of 16384 bytes" in closed.value.rcvd.reason


def test_server__300_flooded_sockets__all_released_and_memory_flat(tmp_path):
    with served(tmp_path) as (base, _, pid):

        def flood_one() -> None:
            # The server closes the socket mid-flood: what the client then sees (a close
            # frame, a reset) varies; what is left on the server is what counts.
            with contextlib.suppress(ConnectionClosed, OSError), ws(base) as socket:
                for _ in range(40):
                    socket.send('{"type": "ping"}')
                while True:
                    socket.recv(timeout=5)

        # Given a warmed-up server (the first sockets load what every later one reuses)
        for _ in range(20):
            flood_one()
        before = rss_kib(pid)
        # When 300 sockets flood it, each closed for flooding (4429)
        for _ in range(FLOODED_SOCKETS):
            flood_one()
        # Then none is left open, and memory did not grow with them
        wait_until(lambda: metric(base, "tactful_websockets_open") == 0, "all sockets released")
        assert metric(base, "tactful_websockets_opened_total") == FLOODED_SOCKETS + 20
        growth = rss_kib(pid) - before
        print(f"RSS growth over {FLOODED_SOCKETS} flooded sockets: {growth} KiB")
        assert growth < 4 * 1024, f"RSS grew by {growth} KiB over {FLOODED_SOCKETS} sockets"
