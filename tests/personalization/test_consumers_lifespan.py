"""The process listener: snapshots swap without sockets, and a missed broadcast is caught."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from config.asgi import application
from config.broadcast import broadcast
from personalization.lifespan import (
    lifespan_app,
    revision_check,
    revision_listener,
)
from personalization.models import Revision
from personalization.selectors import config_document
from personalization.snapshot import (
    REVISION_CACHE_KEY,
    REVISIONS_GROUP,
    snapshot_current,
    snapshot_reset,
)

# Sockets read the database from other threads, so the test data is committed for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_process")]

WAIT = 3


@pytest.fixture
def demo_checked_often(settings: Any, request: pytest.FixtureRequest) -> None:
    """The demo in a process that checks for new revisions every 50 ms (set first: publishing
    the demo schedules the snapshot's next check with it)."""
    settings.TACTFUL = {**settings.TACTFUL, "REVISION_CHECK_SECONDS": 0.05}
    request.getfixturevalue("demo_live")


def revision_behind_the_process_back(*, disable: str) -> int:
    """Write revision R+1 (placement `disable` off) as another process would, without telling
    this one: no snapshot swap, no broadcast; only the shared revision number in the cache."""
    latest = Revision.objects.latest()
    document = config_document(revision=latest.number + 1)
    document["placements"][disable]["enabled"] = False
    Revision.objects.create(number=latest.number + 1, snapshot=document)
    cache.set(REVISION_CACHE_KEY, latest.number + 1, None)
    return latest.number + 1


async def wait_for(predicate: Any) -> bool:
    # Bounded polling: the listener works on its own schedule.
    for _ in range(int(WAIT / 0.01)):
        if await predicate():
            return True
        await asyncio.sleep(0.01)
    return False


@contextlib.asynccontextmanager
async def subscribed_socket(placements: list[str]) -> AsyncIterator[WebsocketCommunicator]:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    ws = WebsocketCommunicator(application, "/ws/v1/decisions", headers=headers)
    assert (await ws.connect())[0]
    try:
        await ws.send_json_to({"type": "subscribe", "placements": placements})
        assert (await ws.receive_json_from(timeout=WAIT))["type"] == "decisions"
        yield ws
    finally:
        await ws.disconnect()


async def test_listener__broadcast_and_no_socket__process_swaps_its_snapshot(demo_live):
    # Given a process with no socket open, running its listener
    current = await database_sync_to_async(snapshot_current)()
    async with revision_listener():
        # When another process publishes and broadcasts a revision
        number = await database_sync_to_async(revision_behind_the_process_back)(disable="home-hero")
        await asyncio.sleep(0)
        await get_channel_layer().group_send(
            REVISIONS_GROUP, {"type": "revision.published", "revision": number}
        )

        # Then this process swaps to it without waiting for the periodic check
        async def swapped() -> bool:
            return (await database_sync_to_async(snapshot_current)()).revision == number

        assert await wait_for(swapped)
    assert number == current.revision + 1


async def test_listener__broadcast_lost__periodic_check_pushes_to_sockets(demo_checked_often):
    # Given a socket subscribed to the home hero, and a listener checking every 50 ms
    async with subscribed_socket(["home-hero"]) as ws, revision_listener():
        # When a revision is published elsewhere and its broadcast never arrives
        number = await database_sync_to_async(revision_behind_the_process_back)(disable="home-hero")
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then the periodic check finds it and the socket gets the new decision
    assert pushed["revision"] == number
    assert pushed["decisions"]["home-hero"]["reason"] == "DISABLED"


async def test_revision_check__socket_already_current__nothing_pushed(demo_live):
    # Given a socket at the current revision
    async with subscribed_socket(["home-hero"]) as ws:
        # When the periodic check runs
        current = await database_sync_to_async(snapshot_current)()
        snapshot = await revision_check(known=current.revision)
        # Then it is not told anything again
        assert await ws.receive_nothing(timeout=0.2)
    assert snapshot.revision == current.revision


async def test_revision_check__revision_newer_than_a_period__not_pushed_yet(demo_live):
    # Given a socket, and a revision published elsewhere just now
    async with subscribed_socket(["home-hero"]) as ws:
        known = (await database_sync_to_async(snapshot_current)()).revision
        await database_sync_to_async(revision_behind_the_process_back)(disable="home-hero")
        # (the process's own check period has passed)
        snapshot_reset()
        # When a check finds it for the first time
        snapshot = await revision_check(known=known)
        # Then its broadcast still has a period to arrive: the socket is not re-evaluated yet
        assert snapshot.revision == known + 1
        assert await ws.receive_nothing(timeout=0.2)
        # When the next check still finds the socket behind
        await revision_check(known=snapshot.revision)
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then it catches up
    assert pushed["revision"] == known + 1


async def test_lifespan__startup_and_shutdown__completes_both():
    # Given the ASGI lifespan protocol as uvicorn speaks it
    instance = ApplicationCommunicator(lifespan_app, {"type": "lifespan"})
    # When the server starts and stops
    await instance.send_input({"type": "lifespan.startup"})
    started = await instance.receive_output(timeout=WAIT)
    await instance.send_input({"type": "lifespan.shutdown"})
    stopped = await instance.receive_output(timeout=WAIT)
    # Then the listener started and stopped cleanly
    assert started == {"type": "lifespan.startup.complete"}
    assert stopped == {"type": "lifespan.shutdown.complete"}
    await instance.wait(timeout=WAIT)


async def test_asgi__lifespan_scope__routed_to_the_listener():
    # Given the project's ASGI application
    instance = ApplicationCommunicator(application, {"type": "lifespan"})
    # When a server sends start-up
    await instance.send_input({"type": "lifespan.startup"})
    # Then the application answers it (uvicorn runs the listener for the process's lifetime)
    assert await instance.receive_output(timeout=WAIT) == {"type": "lifespan.startup.complete"}
    await instance.send_input({"type": "lifespan.shutdown"})
    assert await instance.receive_output(timeout=WAIT) == {"type": "lifespan.shutdown.complete"}


async def test_broadcast__listener_running__sent_from_a_sync_thread_without_waiting():
    # Given a channel in a group, and the listener running on this loop
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("subject.test", channel)
    async with revision_listener():
        # When sync code (a request thread) sends to the group
        await sync_to_async(broadcast, thread_sensitive=False)(
            "subject.test", {"type": "signals.changed"}, wait=False
        )
        # Then the message goes out from the loop
        message = await asyncio.wait_for(layer.receive(channel), WAIT)
    assert message == {"type": "signals.changed"}
