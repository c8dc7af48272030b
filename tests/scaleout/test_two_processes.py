"""Scale-out: two uvicorn processes on one PostgreSQL and one Redis act as one service.

Runs only with DATABASE_URL (PostgreSQL) and REDIS_URL set; it then fails, never skips, when
either is unreachable.
"""

import asyncio
import contextlib
import importlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

from consent.models import Purpose
from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign
from personalization import services
from personalization.models import Placement, Revision

ROOT = Path(__file__).resolve().parents[2]
WAIT = 15.0

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not (
            os.environ.get("DATABASE_URL", "").startswith("postgres")
            and os.environ.get("REDIS_URL")
        ),
        reason="scale-out needs DATABASE_URL (PostgreSQL) and REDIS_URL shared by two processes",
    ),
]


@dataclass(frozen=True)
class Stage:
    token: str
    rollback_to: int
    admin_password: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_database_url() -> str:
    """The test database (not the one in DATABASE_URL) as a URL for the server processes."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def stage(transactional_db: Any, settings: Any) -> Stage:
    """Demo storefront at r1, then r2 with `recommendations` disabled; a consented subject."""
    seed = importlib.import_module("consent.migrations.0002_seed_purposes")
    for spec in seed.PURPOSES:
        Purpose.objects.get_or_create(key=spec["key"], defaults=spec)
    call_command("seed_demo", verbosity=0)
    before = Revision.objects.latest()
    services.placement_set_enabled(
        placement=Placement.objects.get(key="recommendations"), enabled=False
    )
    # The servers run the production settings, whose hashers do not read the tests' MD5.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    get_user_model().objects.create_superuser("marketer", password="scale-out-password")
    subject = subject_create()
    consent_update(subject=subject, purposes={"personalization": True}, source="api")
    return Stage(
        token=subject_token_sign(subject.public_id),
        rollback_to=before.pk,
        admin_password="scale-out-password",
    )


def wait_until_serving(process: subprocess.Popen[bytes], base: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server {base} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/api/v1/consent", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"server {base} did not start within {WAIT} s")


@pytest.fixture
def servers(stage: Stage, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Processes A and B on free ports, sharing the test database and Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": server_database_url(),
        "TACTFUL_VAR_DIR": str(tmp_path),
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        for _ in range(2):
            port = free_port()
            command = [
                sys.executable, "-m", "config.serve",
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            ]  # fmt: skip
            processes.append(subprocess.Popen(command, cwd=ROOT, env=env))
            bases.append(f"http://127.0.0.1:{port}")
        for process, base in zip(processes, bases, strict=True):
            wait_until_serving(process, base)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@contextlib.asynccontextmanager
async def decisions_socket(base: str, token: str) -> AsyncIterator[ClientConnection]:
    uri = base.replace("http://", "ws://") + "/ws/v1/decisions"
    async with connect(
        uri, origin=Origin(base), additional_headers={"Cookie": f"tactful_subject={token}"}
    ) as ws:
        yield ws


async def next_decisions(ws: ClientConnection) -> dict[str, Any]:
    """The next `decisions` message, skipping heartbeats; bounded."""
    async with asyncio.timeout(WAIT):
        while True:
            message = orjson.loads(await ws.recv())
            if message["type"] == "decisions":
                return message


async def admin_rollback(base: str, *, revision_pk: int, password: str) -> None:
    """Roll back through the admin of one process, as a marketer would."""
    async with httpx.AsyncClient(base_url=base, timeout=WAIT) as admin:
        page = await admin.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        login = await admin.post(
            "/admin/login/",
            data={
                "username": "marketer",
                "password": password,
                "csrfmiddlewaretoken": token.group(1),
                "next": "/admin/",
            },
        )
        assert login.status_code == 302, login.text
        page = await admin.get("/admin/personalization/revision/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None
        chosen = await admin.post(
            "/admin/personalization/revision/",
            data={
                "action": "rollback",
                "_selected_action": str(revision_pk),
                "csrfmiddlewaretoken": token.group(1),
                "index": "0",
            },
        )
        # The action shows what the rollback will change; it happens once confirmed.
        assert chosen.status_code == 302, chosen.text
        preview = await admin.get(chosen.headers["Location"])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', preview.text)
        assert token is not None
        done = await admin.post(
            chosen.headers["Location"],
            data={"message": "Back as it was", "csrfmiddlewaretoken": token.group(1)},
        )
        assert done.status_code == 302, done.text


async def test_scaleout__publish_and_events_on_a__pushed_on_b(servers, stage):
    # Given a socket held by process B, with recommendations disabled
    process_a, process_b = servers
    async with decisions_socket(process_b, stage.token) as ws:
        placements = ["home-hero", "recommendations"]
        await ws.send(orjson.dumps({"type": "subscribe", "placements": placements}).decode())
        first = await next_decisions(ws)
        assert first["decisions"]["recommendations"]["reason"] == "DISABLED"

        # When the marketer rolls back through process A's admin
        await admin_rollback(
            process_a, revision_pk=stage.rollback_to, password=stage.admin_password
        )
        # Then B pushes the published revision
        published = await next_decisions(ws)
        assert published["revision"] == first["revision"] + 1
        assert published["decisions"]["recommendations"]["reason"] == "DEFAULT"

        # When three shoe views are sent to process A
        shoes = {"type": "product_view", "properties": {"category": "shoes"}}
        async with httpx.AsyncClient(base_url=process_a, timeout=WAIT) as client:
            response = await client.post(
                "/api/v1/events",
                content=orjson.dumps({"events": [shoes] * 3}),
                headers={"Content-Type": "application/json", "X-Tactful-Subject": stage.token},
            )
        assert response.json()["accepted"] == 3
        # Then B pushes the decisions those signals change
        pushed = await next_decisions(ws)
        assert pushed["decisions"]["home-hero"]["variant"] == "shoes"
        assert pushed["decisions"]["recommendations"]["value"] == "shoes-first"

        # When the visitor withdraws personalization through process A
        async with httpx.AsyncClient(base_url=process_a, timeout=WAIT) as client:
            response = await client.put(
                "/api/v1/consent",
                content=orjson.dumps({"purposes": {"personalization": False}}),
                headers={"Content-Type": "application/json", "X-Tactful-Subject": stage.token},
            )
        assert response.status_code == 200
        # Then B serves the defaults again
        withdrawn = await next_decisions(ws)
        assert withdrawn["decisions"]["home-hero"]["variant"] == "default"
        assert withdrawn["decisions"]["recommendations"]["value"] == "bestsellers"
