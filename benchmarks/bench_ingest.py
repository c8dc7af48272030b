"""Ingest benchmark: POST /api/v1/events vs a bare Django JSON view on the same uvicorn server.

A consented subject sends batches of 3 `product_view` events (the demo's shoe intent), so every
request is validated against the taxonomy and the firewall, stored in the signal store and
announced to the subject's group. wrk runs on core 1, the server (one uvicorn worker) on core 0,
rounds interleaved with `/bench/bare` taking the same body. The rate limit is lifted for the run.
Besides throughput, the server's CPU time per request (Linux): on a machine shared with other
work, that figure is what the server itself spent, whatever else ran on its core.
Run: .venv/bin/python benchmarks/bench_ingest.py [--seconds 10] [--connections 16] [--rounds 2]
Needs wrk. With DATABASE_URL and REDIS_URL set it runs on PostgreSQL and Redis (Redis store).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_http import summarise, wrk  # noqa: E402
from benchmarks.bench_push import bench_env, prepare, server, throwaway_database  # noqa: E402

SHOES = {"type": "product_view", "properties": {"category": "shoes"}}
BODY = orjson.dumps({"events": [SHOES, SHOES, SHOES]}).decode()
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Tactful-Subject"] = "{token}"
"""


def cpu_seconds(process: subprocess.Popen[bytes]) -> float | None:
    """User + system CPU time of the server process so far; None where /proc is not there."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    var_dir = tempfile.mkdtemp(prefix="tactful-bench-")
    try:
        with throwaway_database() as database_url:
            env = bench_env(var_dir, None, database_url)
            prepare(env)
            with server(env, deflate=False) as (base, process):
                consent = httpx.put(
                    f"{base}/api/v1/consent", json={"purposes": {"personalization": True}}
                )
                token = consent.json()["token"]
                probe = httpx.post(
                    f"{base}/api/v1/events",
                    content=BODY,
                    headers={"Content-Type": "application/json", "X-Tactful-Subject": token},
                )
                assert probe.json()["accepted"] == 3, probe.text
                script = Path(var_dir) / "events.lua"
                script.write_text(WRK_SCRIPT.format(body=BODY, token=token))
                wrk(f"{base}/api/v1/events", 2, args.connections, script)  # warm-up
                results: dict[str, list[tuple[float, float]]] = {"bare": [], "events": []}
                cpu_ms: dict[str, list[float]] = {"bare": [], "events": []}
                for _ in range(args.rounds):
                    for name, path in (("bare", "/bench/bare"), ("events", "/api/v1/events")):
                        before = cpu_seconds(process)
                        results[name].append(
                            wrk(base + path, args.seconds, args.connections, script)
                        )
                        after = cpu_seconds(process)
                        if before is not None and after is not None:
                            served = results[name][-1][0] * args.seconds
                            cpu_ms[name].append((after - before) * 1000 / served)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    mode = "PostgreSQL + Redis" if os.environ.get("REDIS_URL") else "embedded (memory store)"
    summary = summarise(results, mode=mode, args=args)
    print(f" events: {summary['events'][0] * 3:8.0f} events/s stored")
    ratio = summary["events"][0] / summary["bare"][0]
    print(f"events / bare throughput: {ratio:.2f}x (target >= 0.6)")
    if cpu_ms["bare"] and cpu_ms["events"]:
        bare_ms, events_ms = (sum(cpu_ms[n]) / len(cpu_ms[n]) for n in ("bare", "events"))
        print(
            f"server CPU per request: bare {bare_ms:.2f} ms, events {events_ms:.2f} ms "
            f"(bare / events {bare_ms / events_ms:.2f}x)"
        )


if __name__ == "__main__":
    main()
