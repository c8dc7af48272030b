"""Push benchmark: publish → receipt on open websockets, and consent withdrawal → defaults.

One uvicorn worker pinned to core 0 serves N anonymous sockets (1, 100, 1,000) subscribed to
`free-shipping-banner` from the spring campaign; this process (core 1) holds the sockets and
publishes through the admin by rolling back alternately to a revision with the banner on and one
with it off, so every socket gets a push each round. Latency = receipt - `Revision.created_at`
of the new revision (written inside the publishing transaction, so a little before its commit:
the figure errs on the slow side). Then one consented subject's socket measures a withdrawal
(`PUT /api/v1/consent`, from the moment it is sent) until the defaults arrive.

Run: .venv/bin/python benchmarks/bench_push.py [--subscribers 1,100,1000] [--rounds 20]
With DATABASE_URL and REDIS_URL set it runs on PostgreSQL and Redis; `--layer core|pubsub` picks
the channels-redis layer there (default: the one in settings).
"""

import argparse
import asyncio
import contextlib
import gc
import itertools
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Origin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_http import free_port, server_env, throwaway_database  # noqa: E402

PYTHON = sys.executable
ADMIN_PASSWORD = secrets.token_urlsafe(16)
LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
SPRING = {"utm_campaign": "spring-sale"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_env(var_dir: str, layer: str | None, database_url: str | None) -> dict[str, str]:
    """The benchmark server's environment, optionally with another channels-redis layer."""
    env = server_env(var_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(
        TACTFUL_EVENTS_RATE_LIMIT="1000000000",
        DJANGO_SUPERUSER_PASSWORD=ADMIN_PASSWORD,
        DJANGO_SUPERUSER_USERNAME="bench",
        DJANGO_SUPERUSER_EMAIL="bench@example.com",
    )
    if layer:
        Path(var_dir, "bench_layer_settings.py").write_text(
            "from benchmarks.settings import *  # noqa: F403\n"
            "from benchmarks.settings import CHANNEL_LAYERS\n"
            f'CHANNEL_LAYERS["default"]["BACKEND"] = "{LAYERS[layer]}"\n'
        )
        env["DJANGO_SETTINGS_MODULE"] = "bench_layer_settings"
        env["PYTHONPATH"] = f"{var_dir}:{ROOT}"
    return env


def prepare(env: dict[str, str]) -> None:
    """Migrate, seed the demo, add a revision with the banner off, create the admin."""
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*manage, "createsuperuser", "--no-input"], env=env, cwd=ROOT, capture_output=True
    )


@contextlib.contextmanager
def server(env: dict[str, str], *, deflate: bool) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [
        PYTHON, "-m", "config.serve", "--port", str(port), "--workers", "1",
        "--log-level", "warning", "--ws-per-message-deflate", str(deflate).lower(),
    ]  # fmt: skip
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/v1/consent", timeout=5).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the benchmark server did not start")
            time.sleep(0.05)
        yield base, process
    finally:
        process.terminate()
        process.wait(10)


def django_setup(env: dict[str, str]) -> None:
    """Read revisions from the benchmark's database in this process."""
    os.environ.update(env)
    sys.path.insert(0, env["TACTFUL_VAR_DIR"])
    import django

    django.setup()


def revision_created(number: int) -> float:
    from personalization.models import Revision

    return Revision.objects.get(number=number).created_at.timestamp()


def revision_pks() -> tuple[int, int]:
    """Revisions to roll back to: the banner on (latest), and off (made now, in the database)."""
    from personalization import services
    from personalization.models import Placement, Revision

    on = Revision.objects.latest().pk
    banner = Placement.objects.get(key="free-shipping-banner")
    services.placement_set_enabled(placement=banner, enabled=False)
    off = Revision.objects.latest().pk
    services.placement_set_enabled(placement=banner, enabled=True)
    return on, off


class Admin:
    """A logged-in marketer who rolls back revisions through the admin."""

    def __init__(self, base: str) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=30)
        self.csrf = ""

    async def login(self) -> None:
        page = await self.client.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        response = await self.client.post(
            "/admin/login/",
            data={
                "username": "bench",
                "password": ADMIN_PASSWORD,
                "csrfmiddlewaretoken": token.group(1),
                "next": "/admin/",
            },
        )
        assert response.status_code == 302, "admin login failed"
        # One form token serves every later post: rendering the change list each round would
        # load the server while it pushes.
        page = await self.client.get("/admin/personalization/revision/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        self.csrf = token.group(1)

    async def rollback(self, pk: int) -> None:
        response = await self.client.post(
            "/admin/personalization/revision/",
            data={
                "action": "rollback",
                "_selected_action": str(pk),
                "csrfmiddlewaretoken": self.csrf,
                "index": "0",
            },
        )
        assert response.status_code == 302, "rollback failed"


@contextlib.asynccontextmanager
async def sockets(
    base: str, n: int, *, token: str | None = None
) -> AsyncIterator[list[ClientConnection]]:
    uri = base.replace("http://", "ws://") + "/ws/v1/decisions"
    headers = {"Cookie": f"tactful_subject={token}"} if token else {}
    async with contextlib.AsyncExitStack() as stack:
        opened = []
        # 25 at a time: RedisChannelLayer runs out of pooled connections (MaxConnectionsError)
        # when 100 sockets join their groups at once.
        for start in range(0, n, 25):
            batch = await asyncio.gather(
                *(
                    stack.enter_async_context(
                        connect(
                            uri, origin=Origin(base), additional_headers=headers, max_queue=None
                        )
                    )
                    for _ in range(start, min(n, start + 25))
                )
            )
            opened.extend(batch)
        yield opened


async def next_decisions(ws: ClientConnection) -> tuple[float, dict[str, Any]]:
    while True:
        message = orjson.loads(await ws.recv())
        if message["type"] == "decisions":
            return time.time(), message


async def subscribe(ws: ClientConnection, placements: list[str], context: dict[str, Any]) -> None:
    await ws.send(
        orjson.dumps({"type": "subscribe", "placements": placements, "context": context}).decode()
    )
    await next_decisions(ws)


@contextlib.contextmanager
def collector_between_rounds() -> Iterator[None]:
    """This client's garbage collector runs between rounds, never while it receives: a full
    collection over 1,000 connections pauses it for tens of milliseconds, which would be
    counted as push latency (the client floor's p99 went from 40 to 118 ms with it on)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def between_rounds() -> None:
    gc.collect()


async def push_latency(base: str, admin: Admin, n: int, rounds: int, pks: Iterator[int]):
    latencies: list[float] = []
    async with sockets(base, n) as opened:
        for start in range(0, n, 25):
            batch = opened[start : start + 25]
            await asyncio.gather(*(subscribe(ws, ["free-shipping-banner"], SPRING) for ws in batch))
        # One round unmeasured: the first publish after start-up warms caches and connections.
        for measured in [False] + [True] * rounds:
            between_rounds()
            await admin.rollback(next(pks))
            received = await asyncio.wait_for(
                asyncio.gather(*(next_decisions(ws) for ws in opened)), 60
            )
            if not measured:
                continue
            revision = received[0][1]["revision"]
            created = await asyncio.to_thread(revision_created, revision)
            latencies.extend((at - created) * 1000 for at, _ in received)
    return latencies


async def withdrawal_latency(base: str, rounds: int) -> list[float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        consent = await http.put("/api/v1/consent", json={"purposes": {"personalization": True}})
        token = consent.json()["token"]
        headers = {"X-Tactful-Subject": token}
        shoes = {"type": "product_view", "properties": {"category": "shoes"}}
        latencies = []
        async with sockets(base, 1, token=token) as (ws,):
            await subscribe(ws, ["home-hero", "recommendations"], {})
            for _ in range(rounds):
                await http.put(
                    "/api/v1/consent", json={"purposes": {"personalization": True}}, headers=headers
                )
                await http.post("/api/v1/events", json={"events": [shoes] * 3}, headers=headers)
                while (await next_decisions(ws))[1]["decisions"]["home-hero"]["variant"] != "shoes":
                    pass
                sent = time.time()
                await http.put(
                    "/api/v1/consent",
                    json={"purposes": {"personalization": False}},
                    headers=headers,
                )
                at, message = await asyncio.wait_for(next_decisions(ws), 30)
                assert message["decisions"]["home-hero"]["variant"] == "default"
                latencies.append((at - sent) * 1000)
    return latencies


async def bare_server(port: int) -> None:
    """A websockets server that only pushes one decisions-sized message to every connection
    when any of them says "go": what this measuring client costs on its own."""
    connections: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        connections.add(ws)
        try:
            async for _ in ws:
                body = orjson.dumps({"type": "decisions", "at": time.time(), "pad": "x" * 400})
                for connection in list(connections):
                    await connection.send(body.decode())
        finally:
            connections.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None):
        await asyncio.Future()


async def client_floor(levels: list[int], rounds: int) -> None:
    port = free_port()
    command = [PYTHON, __file__, "--bare-server", str(port)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    bare = subprocess.Popen(command, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                async with connect(base.replace("http://", "ws://")):
                    break
            await asyncio.sleep(0.05)
        print("client floor: a bare websockets server pushing the same size of message")
        for n in levels:
            latencies: list[float] = []
            async with sockets(base, n) as opened:
                for _ in range(rounds):
                    between_rounds()
                    await opened[0].send("go")
                    bodies = await asyncio.gather(*(ws.recv() for ws in opened))
                    at = time.time()
                    latencies.extend((at - orjson.loads(b)["at"]) * 1000 for b in bodies)
            print(
                f"{n:>11} {len(latencies):>7} {statistics.median(latencies):>8.1f} "
                f"{percentile(latencies, 0.99):>8.1f} {max(latencies):>8.1f}"
            )
    finally:
        bare.terminate()
        bare.wait(10)


async def run(base: str, levels: list[int], rounds: int, pks: tuple[int, int]) -> None:
    admin = Admin(base)
    await admin.login()
    print(f"{'subscribers':>11} {'pushes':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    # Off, on, off, …: every publish flips the banner for every socket.
    flips = itertools.cycle([pks[1], pks[0]])
    for n in levels:
        latencies = await push_latency(base, admin, n, rounds, flips)
        print(
            f"{n:>11} {len(latencies):>7} {statistics.median(latencies):>8.1f} "
            f"{percentile(latencies, 0.99):>8.1f} {max(latencies):>8.1f}"
        )
    withdrawals = await withdrawal_latency(base, max(rounds * 5, 50))
    print(
        f"withdrawal → defaults on an open socket ({len(withdrawals)} rounds): "
        f"p50 {statistics.median(withdrawals):.1f} ms, p99 {percentile(withdrawals, 0.99):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", default="1,100,1000")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--layer", choices=sorted(LAYERS))
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="let uvicorn compress websocket messages (its default; browsers accept it)",
    )
    args = parser.parse_args()
    if args.bare_server:
        asyncio.run(bare_server(args.bare_server))
        return
    if args.layer and not os.environ.get("REDIS_URL"):
        raise SystemExit("--layer needs REDIS_URL")
    var_dir = tempfile.mkdtemp(prefix="tactful-bench-")
    try:
        with throwaway_database() as database_url:
            measure(args, bench_env(var_dir, args.layer, database_url))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def measure(args: argparse.Namespace, env: dict[str, str]) -> None:
    prepare(env)
    django_setup(env)
    pks = revision_pks()
    levels = [int(n) for n in args.subscribers.split(",")]
    with server(env, deflate=args.deflate) as (base, _):
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {1})
        mode = "PostgreSQL + Redis" if os.environ.get("REDIS_URL") else "embedded (in-memory)"
        print(
            f"mode: {mode}; layer: {args.layer or 'settings default'}; 1 uvicorn worker; "
            f"{args.rounds} publishes/level; "
            f"per-message deflate {'on' if args.deflate else 'off'}"
        )
        with collector_between_rounds():
            asyncio.run(run(base, levels, args.rounds, pks))
    with collector_between_rounds():
        asyncio.run(client_floor(levels, args.rounds))
    # The throw-away database is dropped next: let go of it.
    from django.db import connections

    connections.close_all()


if __name__ == "__main__":
    main()
