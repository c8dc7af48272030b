"""A live origin and edge workers under workerd, for the edge tests and benchmarks.

The origin is a uvicorn process on a throw-away SQLite database with the demo storefront, a
consent token key of the test's own and an edge key; each worker is a `workerd serve` of the
built configuration (`make edge`) on a free port, pointed at the origin. Waits are bounded polls.
"""

import base64
import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from consent.edge_tokens import public_jwk
from tests.faults.live import ROOT, Server, free_port, manage, server_env, servers, wait_until

EDGE = ROOT / "edge"
WORKERD = EDGE / "node_modules" / ".bin" / "workerd"
WORKERD_CONFIG = EDGE / "dist" / "workerd.capnp"


@dataclass
class Origin:
    server: Server
    env: dict[str, str]
    edge_key: str
    private_key: Ed25519PrivateKey

    @property
    def base(self) -> str:
        return self.server.base

    def shell(self, code: str) -> None:
        """Run Python in a `manage.py shell` against the origin's database (e.g. a publish)."""
        manage(self.env, "shell", "-c", code)

    def sign(self, claims: dict[str, Any], *, key: Ed25519PrivateKey | None = None) -> str:
        """A consent token of `claims` under the origin's key id, signed with the origin's
        key (or with `key`, to forge one)."""
        header = {
            "alg": "EdDSA",
            "typ": "tactful-consent+jwt",
            "kid": public_jwk(self.private_key.public_key())["kid"],
        }
        signed = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(claims))}"
        return f"{signed}.{_b64((key or self.private_key).sign(signed.encode()))}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def origin_env(tmp: Path, key: Ed25519PrivateKey, **overrides: str) -> dict[str, str]:
    env = server_env(
        DATABASE_URL=f"sqlite:///{tmp / 'origin.sqlite3'}",
        TACTFUL_VAR_DIR=str(tmp),
        TACTFUL_CONSENT_TOKEN_KEY=_pem(key),
        # Subjects are made from one address here; the limit is not what these tests are about.
        TACTFUL_NEW_SUBJECTS_RATE_LIMIT="100000",
        **overrides,
    )
    if "REDIS_URL" not in overrides:
        env.pop("REDIS_URL", None)
    return env


@contextlib.contextmanager
def live_origin(tmp: Path, **overrides: str) -> Iterator[Origin]:
    """The demo storefront served by one uvicorn process, with an edge key for workers."""
    key = Ed25519PrivateKey.generate()
    env = origin_env(tmp, key, **overrides)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "seed_demo")
    edge_key = manage(env, "create_edge_key", "tests").strip()
    with servers(env, 1, tmp) as (server,):
        yield Origin(server=server, env=env, edge_key=edge_key, private_key=key)


@dataclass
class Worker:
    base: str
    process: subprocess.Popen[bytes]

    def readyz(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base}/edge/readyz", timeout=2).json())

    def metric(self, name: str, **labels: str) -> float:
        text = httpx.get(f"{self.base}/edge/metrics", timeout=2).text
        wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name) and (not wanted or wanted in line):
                total += float(line.rsplit(" ", 1)[1])
        return total


def workerd_available() -> None:
    assert WORKERD.exists() and WORKERD_CONFIG.exists(), (
        "The edge worker is not built: run `make edge` (npm ci in edge/, tsc, workerd config)."
    )


@contextlib.contextmanager
def live_worker(
    origin_base: str, edge_key: str, log: Path, *, cpu: int | None = None, **bindings: str
) -> Iterator[Worker]:
    """A workerd process serving the edge worker, ready (its first snapshot loaded)."""
    workerd_available()
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "ORIGIN_URL": origin_base,
        "EDGE_KEY": edge_key,
        **bindings,
    }
    command = [str(WORKERD), "serve", str(WORKERD_CONFIG), "--socket-addr", f"http=127.0.0.1:{port}"]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=EDGE, env=env, stdout=output, stderr=subprocess.STDOUT)
    worker = Worker(base=f"http://127.0.0.1:{port}", process=process)
    try:
        wait_until(lambda: worker.readyz()["ready"], f"edge worker {worker.base} ready")
        yield worker
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        if process.poll() is None:
            process.kill()


def until_revision(worker: Worker, revision: int, seconds: float = 20.0) -> float:
    """Wait until the worker decides from `revision` or newer; seconds it took."""
    started = time.monotonic()
    try:
        wait_until(lambda: worker.readyz()["revision"] >= revision, f"edge on r{revision}", seconds)
    except AssertionError as failed:
        metrics = httpx.get(f"{worker.base}/edge/metrics", timeout=2).text
        state = "\n".join(line for line in metrics.splitlines() if not line.startswith("#"))
        raise AssertionError(f"{failed}; the edge's metrics:\n{state}") from None
    return time.monotonic() - started
