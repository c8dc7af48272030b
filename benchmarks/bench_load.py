"""Load harness: a mixed workload (decide 80 %, events 15 %, consent 5 %) on real servers.

- embedded (default): one uvicorn process, a throw-away SQLite file, in-memory cache and layer.
- --scaleout: two uvicorn workers (PROMETHEUS_MULTIPROC_DIR set) on a throw-away database of the
  PostgreSQL server in DATABASE_URL and a throw-away redis-server.
- --fault redis|postgres (with --scaleout): halfway through, Redis is killed, or PostgreSQL is
  cut off (the server reaches it through a TCP proxy that is closed); the run goes on.

The server is pinned to core 0 and wrk to core 1. Reports throughput, p50/p99 over all requests,
and per kind the answers by status, 5xx first. Run:
.venv/bin/python benchmarks/bench_load.py [--scaleout] [--fault redis] [--seconds 20]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_http import server_env  # noqa: E402
from tests.faults.live import RedisServer, TcpProxy, free_port, wait_until  # noqa: E402

SUBJECTS = 50

# Each wrk thread picks a request by weight and names its kind in X-Request-ID, which the server
# echoes; `response` counts statuses per kind, `done` prints `COUNT kind status n` lines.
WRK_SCRIPT = r"""
local tokens = {TOKENS}
counts = {}
local contexts = {
  '{"context": {"device": "mobile"}}',
  '{"placements": ["home-hero", "recommendations"], "context": {"device": "desktop"}}',
  '{"placements": ["free-shipping-banner"], "context": {"utm_campaign": "spring-sale"}}',
}
local categories = {"shoes", "outdoor", "running", "bags"}
local sent = 0

function setup(thread) table.insert(threads, thread) end
threads = {}

function request()
  local r = math.random(100)
  local token = tokens[math.random(#tokens)]
  local h = {["Content-Type"] = "application/json"}
  sent = sent + 1
  local function id(kind) h["X-Request-ID"] = kind .. "-load-" .. sent end
  if r <= 80 then
    id("decide")
    if math.random(2) == 1 then h["X-Tactful-Subject"] = token end
    if r <= 20 then
      return wrk.format("POST", "/ofrep/v1/evaluate/flags", h, '{"context": {"device": "mobile"}}')
    end
    return wrk.format("POST", "/api/v1/decide", h, contexts[math.random(#contexts)])
  elseif r <= 95 then
    id("events")
    h["X-Tactful-Subject"] = token
    local c = categories[math.random(#categories)]
    return wrk.format("POST", "/api/v1/events", h,
      '{"events": [{"type": "product_view", "properties": {"category": "' .. c .. '"}}]}')
  else
    id("consent")
    h["X-Tactful-Subject"] = token
    if math.random(2) == 1 then return wrk.format("GET", "/api/v1/consent", h) end
    local on = math.random(2) == 1 and "true" or "false"
    return wrk.format("PUT", "/api/v1/consent", h, '{"purposes": {"measurement": ' .. on .. '}}')
  end
end

function response(status, headers, body)
  local rid = headers["X-Request-ID"] or headers["x-request-id"] or ""
  local key = (rid:match("^(%a+)-") or "unknown") .. " " .. status
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write("COUNT " .. k .. " " .. v .. "\n") end
end
"""


def pinned(core: int, command: list[str]) -> list[str]:
    return ["taskset", "-c", str(core), *command] if shutil.which("taskset") else command


def env_for(var_dir: str, **extra: str) -> dict[str, str]:
    # Rate limiting is not what this measures.
    return {**server_env(var_dir), "TACTFUL_EVENTS_RATE_LIMIT": "1000000", **extra}


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def subject_tokens(base: str) -> list[str]:
    tokens = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(SUBJECTS):
            body = {"purposes": {"personalization": True, "measurement": True}}
            tokens.append(client.put("/api/v1/consent", json=body).json()["token"])
    return tokens


def run_wrk(base: str, seconds: int, connections: int, script: Path) -> str:
    command = pinned(1, ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
                         "-s", str(script), base])  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"wrk failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def report(out: str, title: str) -> None:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    counts: dict[str, dict[int, int]] = {}
    for kind, status, n in re.findall(r"COUNT (\w+) (\d+) (\d+)", out):
        counts.setdefault(kind, {})[int(status)] = int(n)
    print(f"{title}: {rps:8.0f} req/s   p50 {percentile('50'):6.2f} ms   p99 "
          f"{percentile('99'):7.2f} ms")  # fmt: skip
    for kind in ("decide", "events", "consent"):
        statuses = counts.get(kind, {})
        total = sum(statuses.values())
        errors = sum(n for s, n in statuses.items() if s >= 500)
        shown = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        share = 100 * total / max(sum(sum(v.values()) for v in counts.values()), 1)
        print(f"  {kind:>7}: {total:7d} ({share:4.1f} %)  5xx {errors:5d}   [{shown}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--scaleout", action="store_true")
    parser.add_argument("--fault", choices=["redis", "postgres"])
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    if args.fault and not args.scaleout:
        raise SystemExit("--fault needs --scaleout (Redis and PostgreSQL)")
    var_dir = tempfile.mkdtemp(prefix="tactful-load-")
    redis = proxy = None
    database = admin = None
    workers = 1
    try:
        if args.scaleout:
            url = os.environ.get("DATABASE_URL", "")
            if not url.startswith("postgres"):
                raise SystemExit("--scaleout needs DATABASE_URL=postgres://…")
            redis = RedisServer()
            redis.start()
            database = f"tactful_load_{uuid.uuid4().hex[:10]}"
            admin = psycopg.connect(url, autocommit=True)
            admin.execute(f'CREATE DATABASE "{database}"')
            direct = urlsplit(url)._replace(path=f"/{database}")
            proxy = TcpProxy((direct.hostname or "127.0.0.1", direct.port or 5432))
            proxy.start()
            credentials = direct.netloc.rpartition("@")[0]
            address = f"127.0.0.1:{proxy.port}"
            netloc = f"{credentials}@{address}" if credentials else address
            via_proxy = direct._replace(netloc=netloc)
            metrics_dir = Path(var_dir) / "metrics"
            metrics_dir.mkdir()
            manage(env_for(var_dir, DATABASE_URL=direct.geturl(), REDIS_URL=redis.url),
                   "migrate", "--no-input", "-v0")  # fmt: skip
            env = env_for(var_dir, DATABASE_URL=via_proxy.geturl(), REDIS_URL=redis.url,
                          PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))  # fmt: skip
            workers = 2
        else:
            env = env_for(var_dir, DATABASE_URL=f"sqlite:///{var_dir}/load.sqlite3")
            env.pop("REDIS_URL", None)
            manage(env, "migrate", "--no-input", "-v0")
        manage(env, "seed_demo", "-v0")
        port = free_port()
        server = subprocess.Popen(
            pinned(0, [sys.executable, "-m", "config.serve", "--port", str(port),
                       "--workers", str(workers), "--log-level", "warning"]),
            cwd=ROOT, env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: httpx.get(f"{base}/readyz", timeout=2).status_code == 200, "ready")
            tokens = subject_tokens(base)
            script = Path(var_dir) / "mixed.lua"
            lua_tokens = "{" + ", ".join(f'"{t}"' for t in tokens) + "}"
            script.write_text(WRK_SCRIPT.replace("{TOKENS}", lua_tokens))
            run_wrk(base, 3, args.connections, script)  # warm-up
            fault_timer = None
            if args.fault:
                stop = redis.stop if args.fault == "redis" else proxy.stop  # type: ignore[union-attr]
                fault_timer = threading.Timer(args.seconds / 2, stop)
                fault_timer.start()
            started = time.monotonic()
            out = run_wrk(base, args.seconds, args.connections, script)
            elapsed = time.monotonic() - started
            if fault_timer is not None:
                fault_timer.join()
        finally:
            server.terminate()
            server.wait(15)
        mode = (
            f"PostgreSQL + Redis, {workers} uvicorn workers"
            if args.scaleout
            else "embedded (SQLite, in-memory), 1 uvicorn worker"
        )
        fault = f"; {args.fault} stopped after {args.seconds / 2:.0f} s" if args.fault else ""
        print(f"mode: {mode}; wrk -c{args.connections} for {elapsed:.0f} s on core 1{fault}")
        report(out, "mixed 80/15/5")
    finally:
        if proxy is not None:
            proxy.stop()
        if redis is not None:
            redis.stop()
        if admin is not None and database is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.close()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
