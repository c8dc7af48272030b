"""Real processes for the live fault tests: uvicorn servers, a throw-away Redis, a TCP proxy.

Nothing here touches the machine's own PostgreSQL or Redis: a throw-away `redis-server` is
started on a free port and killed, and PostgreSQL is "stopped" by closing a proxy that sits
between the servers and it. Waits are bounded polls on real processes, never fixed sleeps.
"""

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll `check` until it holds; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def server_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_LOG_LEVEL="WARNING",
        TACTFUL_REVISION_CHECK_SECONDS="1",
        TACTFUL_DECISION_STATS_FLUSH_SECONDS="1",
        PYTHONPATH=str(ROOT),
    )
    env.update(overrides)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class RedisServer:
    """A throw-away redis-server on a free port; `stop()` kills it, `start()` brings it back."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for the Redis fault tests (apt-get install redis)"
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

        def answers() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")

        wait_until(answers, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


class TcpProxy:
    """Forwards a local port to `target`; `stop()` closes it and every connection through it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        for s in [listener, *sockets]:
            if s is not None:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]


def answering(base: str) -> Callable[[], bool]:
    def check() -> bool:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200

    return check


@contextlib.contextmanager
def servers(env: dict[str, str], count: int, log_dir: Path) -> Iterator[list[Server]]:
    """`count` uvicorn processes on free ports with `env`, stopped at the end of the block."""
    started: list[Server] = []
    try:
        for index in range(count):
            port = free_port()
            log = (log_dir / f"server-{index}.log").open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "config.serve", "--port", str(port),
                 "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            started.append(Server(base=f"http://127.0.0.1:{port}", process=process))
        for server in started:
            wait_until(answering(server.base), f"server {server.base} answering")
        yield started
    finally:
        for server in started:
            server.process.terminate()
        for server in started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.process.wait(10)
            if server.process.poll() is None:
                server.process.kill()


@dataclass
class Call:
    kind: str
    method: str
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def load(calls: Sequence[Call], *, workers: int = 8) -> dict[str, Counter[int]]:
    """Send every call concurrently; status codes per kind (599 for a connection failure)."""

    def send(call: Call) -> tuple[str, int]:
        try:
            response = httpx.request(
                call.method,
                call.url,
                content=call.body,
                headers={"Content-Type": "application/json", **call.headers},
                timeout=10,
            )
        except httpx.HTTPError:
            return call.kind, 599
        return call.kind, response.status_code

    statuses: dict[str, Counter[int]] = {}
    with ThreadPoolExecutor(workers) as pool:
        for kind, status in pool.map(send, calls):
            statuses.setdefault(kind, Counter())[status] += 1
    return statuses


def metric(base: str, name: str, **labels: str) -> float:
    """The sum of a server's /metrics samples called `name` whose labels include `labels`."""
    text = httpx.get(f"{base}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )
