"""Websocket memory benchmark: the server's resident memory per idle, subscribed socket.

Opens N sockets (default 1,000) subscribed to the demo's three placements, half of them as a
consented subject with signals, and reads the server's VmRSS before and after, once the sockets
are idle. One uvicorn worker; Linux only (reads /proc).
Run: .venv/bin/python benchmarks/bench_ws_memory.py [--sockets 1000]
"""

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_push import (  # noqa: E402
    bench_env,
    next_decisions,
    prepare,
    server,
    sockets,
    throwaway_database,
)

PLACEMENTS = ["home-hero", "recommendations", "free-shipping-banner"]
SHOES = {"type": "product_view", "properties": {"category": "shoes"}}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS: this harness needs Linux")


async def measure(base: str, pid: int, n: int) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        consent = await http.put("/api/v1/consent", json={"purposes": {"personalization": True}})
        token = consent.json()["token"]
        headers = {"X-Tactful-Subject": token}
        await http.post("/api/v1/events", json={"events": [SHOES] * 3}, headers=headers)
    subscribe = orjson.dumps({"type": "subscribe", "placements": PLACEMENTS}).decode()
    # Warm up: the first sockets load code and caches that every later socket shares.
    async with sockets(base, 10) as warm:
        for ws in warm:
            await ws.send(subscribe)
            await next_decisions(ws)
    await asyncio.sleep(1)
    before = rss_kib(pid)
    async with sockets(base, n // 2) as anonymous, sockets(base, n - n // 2, token=token) as mine:
        for ws in [*anonymous, *mine]:
            await ws.send(subscribe)
            await next_decisions(ws)
        # Idle: nothing is pushed; let the server settle.
        await asyncio.sleep(2)
        after = rss_kib(pid)
    print(f"{n} idle subscribed sockets: server RSS {before / 1024:.1f} → {after / 1024:.1f} MiB")
    print(f"per socket: {(after - before) / n:.1f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sockets", type=int, default=1000)
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="tactful-bench-")
    try:
        with throwaway_database() as database_url:
            env = bench_env(var_dir, None, database_url)
            prepare(env)
            with server(env, deflate=False) as (base, process):
                mode = "PostgreSQL + Redis" if os.environ.get("REDIS_URL") else "embedded"
                print(f"mode: {mode}; 1 uvicorn worker")
                asyncio.run(measure(base, process.pid, args.sockets))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
