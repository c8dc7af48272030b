"""HTTP benchmark: POST /api/v1/decide vs a bare Django JSON view on the same uvicorn server.

Both endpoints are loaded in one run, interleaved, with wrk on one core and the server (one
uvicorn worker) pinned to the other. Reports requests/s and p99 of each and their ratios.
With --measurement, compares instead decide for subjects who granted measurement (their
exposures recorded) with decide for subjects who did not, each round-robin over its own
subjects' tokens.
Run: .venv/bin/python benchmarks/bench_http.py [--seconds 10] [--connections 16] [--measurement]
Needs wrk (Debian: apt-get install wrk). With DATABASE_URL (PostgreSQL) it runs on a throw-away
database of that server, dropped afterwards; with REDIS_URL, on that Redis.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BODY = '{"placements": ["home-hero", "recommendations", "free-shipping-banner"], "context": {"device": "mobile", "locale": "en", "utm_campaign": "newsletter"}}'  # noqa: E501

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{body}'
wrk.headers["Content-Type"] = "application/json"
"""
# Each request as the next of the subjects' tokens (X-Tactful-Subject).
WRK_TOKENS = """
local tokens = {{{tokens}}}
local next_token = 0
request = function()
  next_token = next_token % #tokens + 1
  wrk.headers["X-Tactful-Subject"] = tokens[next_token]
  return wrk.format()
end
"""
# Subjects with the purposes of each group; prints "<group> <signed token>" a line.
SUBJECTS = """
from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign
for group, measurement in (("measured", True), ("unmeasured", False)):
    for _ in range({count}):
        subject = subject_create()
        purposes = {{"personalization": True, "measurement": measurement}}
        consent_update(subject=subject, purposes=purposes, source="api")
        subject.refresh_from_db()
        print(group, subject_token_sign(subject.public_id, subject.consent_version))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_LOG_LEVEL="WARNING",
        TACTFUL_VAR_DIR=var_dir,
        PYTHONPATH=str(ROOT),
    )
    return env


@contextlib.contextmanager
def throwaway_database() -> Iterator[str | None]:
    """A new database on the PostgreSQL server of DATABASE_URL, dropped afterwards, so that the
    harness never writes to a real one; None in the embedded mode (SQLite in the temporary
    directory)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield None
        return
    name = f"tactful_bench_{secrets.token_hex(4)}"
    parts = urllib.parse.urlsplit(url)
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wrk(url: str, seconds: int, connections: int, script: Path) -> tuple[float, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "1", *command]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99_ms = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    return rps, p99_ms


def consent_of(base: str, token: str) -> dict[str, bool]:
    """The purposes decide sees for a subject's token (a check that the groups are right)."""
    request = urllib.request.Request(
        f"{base}/api/v1/decide",
        data=BODY.encode(),
        headers={"Content-Type": "application/json", "X-Tactful-Subject": token},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return dict(json.load(response)["consent"])


def summarise(
    results: dict[str, list[tuple[float, float]]], *, mode: str, args: argparse.Namespace
) -> dict[str, tuple[float, float]]:
    """Print and return each endpoint's mean requests/s and p99 (ms) over the rounds."""
    print(
        f"mode: {mode}; 1 uvicorn worker; wrk -c{args.connections}, {args.rounds}x{args.seconds}s"
    )
    summary = {}
    for name, runs in results.items():
        rps = sum(r for r, _ in runs) / len(runs)
        p99 = sum(p for _, p in runs) / len(runs)
        summary[name] = (rps, p99)
        print(f"{name:>10}: {rps:8.0f} req/s   p99 {p99:6.2f} ms")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--measurement",
        action="store_true",
        help="decide for measured subjects vs unmeasured ones (exposure recording's cost)",
    )
    parser.add_argument("--subjects", type=int, default=200, help="per group, with --measurement")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    var_dir = tempfile.mkdtemp(prefix="tactful-bench-")
    with throwaway_database() as database_url:
        env = server_env(var_dir)
        if database_url:
            env["DATABASE_URL"] = database_url
        measure(args, var_dir, env)


def measure(args: argparse.Namespace, var_dir: str, env: dict[str, str]) -> None:
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo", "-v0"], env=env, check=True, cwd=ROOT)
    tokens: dict[str, list[str]] = {"measured": [], "unmeasured": []}
    if args.measurement:
        made = subprocess.run(
            [*manage, "shell", "-c", SUBJECTS.format(count=args.subjects)],
            env=env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
        for line in made.splitlines():
            group, _, token = line.partition(" ")
            if group in tokens:
                tokens[group].append(token)
    port = free_port()
    server_cmd = [
        PYTHON, "-m", "config.serve", "--port", str(port), "--workers", "1",
        "--log-level", "warning",
    ]  # fmt: skip
    if shutil.which("taskset"):
        server_cmd = ["taskset", "-c", "0", *server_cmd]
    server = subprocess.Popen(server_cmd, env=env, cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/schema/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        script = Path(var_dir) / "post.lua"
        script.write_text(WRK_SCRIPT.format(body=BODY))
        # (name, path, script): the bare view and decide, or decide for each group of subjects.
        loads = [("bare", "/bench/bare", script), ("decide", "/api/v1/decide", script)]
        if args.measurement:
            loads = []
            for group, signed in tokens.items():
                grouped = Path(var_dir) / f"{group}.lua"
                quoted = ", ".join(f'"{token}"' for token in signed)
                grouped.write_text(script.read_text() + WRK_TOKENS.format(tokens=quoted))
                loads.append((group, "/api/v1/decide", grouped))
        for group, signed in tokens.items() if args.measurement else ():
            granted = consent_of(base, signed[0])
            if granted.get("measurement") != (group == "measured"):
                raise SystemExit(f"{group} subjects are not what they should be: {granted}")
        for _, path, load in loads:
            wrk(base + path, 2, args.connections, load)  # warm-up
        results: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in loads}
        for _ in range(args.rounds):
            for name, path, load in loads:
                results[name].append(wrk(base + path, args.seconds, args.connections, load))
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(var_dir, ignore_errors=True)
    mode = "PostgreSQL + Redis" if os.environ.get("REDIS_URL") else "embedded (SQLite, in-memory)"
    summary = summarise(results, mode=mode, args=args)
    if args.measurement:
        ratio = summary["measured"][0] / summary["unmeasured"][0]
        print(f"measured / unmeasured decide throughput: {ratio:.2f}x (target >= 0.9)")
        p99 = summary["measured"][1] / summary["unmeasured"][1]
        print(f"measured / unmeasured decide p99: {p99:.2f}x")
        return
    ratio = summary["decide"][0] / summary["bare"][0]
    print(f"decide / bare throughput: {ratio:.2f}x (target >= 0.8)")
    print(f"decide / bare p99: {summary['decide'][1] / summary['bare'][1]:.2f}x (target <= 1.3)")


if __name__ == "__main__":
    main()
