"""The process listener: keeps this process's snapshot and its open sockets current.

One listener per process (per event loop) hears the `revisions` broadcast, swaps the snapshot,
then tells each local socket still behind: sockets do not join the group themselves, so a
publish costs one channel-layer message per process, not one per socket, and the fan-out to
1,000 sockets is one loop on the event loop with no message queue in between.

The listener starts with the ASGI lifespan (so a process with no socket open swaps too), or
with the first socket on a server without lifespan. A broadcast can be lost (Redis pub/sub is
at-most-once), so the listener also checks the revision every `REVISION_CHECK_SECONDS` and
re-evaluates the local sockets still behind after a full period (within two periods of the
publication). Sockets read the snapshot through `asnapshot_current`, which never blocks the
event loop.
"""

import asyncio
import concurrent.futures
import contextlib
import gc
import logging
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from personalization.engine import Snapshot
from personalization.snapshot import REVISIONS_GROUP, snapshot_activate, snapshot_current
from personalization.sockets import SharedDecisions

logger = logging.getLogger(__name__)

# Sockets told of a revision between two turns of the event loop.
FAN_OUT_BATCH = 32
# How often the listener renews its membership of the revisions group.
GROUP_RENEW_SECONDS = 3600.0

type Scope = MutableMapping[str, Any]
type Receive = Callable[[], Awaitable[dict[str, Any]]]
type Send = Callable[[dict[str, Any]], Awaitable[None]]


class RevisionFollower(Protocol):
    """A local socket that decides at `revision` and re-evaluates when told of a newer one."""

    revision: int

    async def revision_published(self, event: dict[str, Any]) -> None: ...


class _Live:
    """The snapshot as async code sees it, and until when it counts as checked."""

    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None
        self.fresh_until = 0.0
        self.locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self.followers: weakref.WeakSet[Any] = weakref.WeakSet()
        # The listener's tasks on each event loop that has one.
        self.listening: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[asyncio.Task[None]]
        ] = weakref.WeakKeyDictionary()
        # The server's event loop, while the lifespan's listener runs on it.
        self.loop: asyncio.AbstractEventLoop | None = None


_live = _Live()


def _check_seconds() -> float:
    return float(settings.TACTFUL["REVISION_CHECK_SECONDS"])


def _snapshot_load(at_least: int) -> Snapshot:
    from personalization.models import Revision

    snapshot = snapshot_current()
    if snapshot.revision < at_least:
        # Told of a revision this process has not seen: load it now, not at the next check.
        document = (
            Revision.objects.filter(number__gte=at_least)
            .order_by("-number")
            .values_list("snapshot", flat=True)
            .first()
        )
        if document is not None:
            snapshot = snapshot_activate(document)
    return snapshot


def _usable(snapshot: Snapshot | None, at_least: int) -> bool:
    return (
        snapshot is not None
        and snapshot.revision >= at_least
        and time.monotonic() < _live.fresh_until
    )


async def asnapshot_current(*, at_least: int = 0) -> Snapshot:
    """The snapshot to decide from on the event loop, at least at revision `at_least`.

    Served from memory while checked recently; otherwise one caller per event loop refreshes
    it in a thread (cache, then database when a newer revision exists) and the others wait.
    """
    if _usable(_live.snapshot, at_least):
        assert _live.snapshot is not None
        return _live.snapshot
    loop = asyncio.get_running_loop()
    lock = _live.locks.setdefault(loop, asyncio.Lock())
    async with lock:
        if _usable(_live.snapshot, at_least):
            assert _live.snapshot is not None
            return _live.snapshot
        # Not the thread of sync views: a publishing request may still be running there, and
        # every socket of this process waits for this load.
        snapshot = await database_sync_to_async(_snapshot_load, thread_sensitive=False)(at_least)
        _live.snapshot = snapshot
        _live.fresh_until = time.monotonic() + _check_seconds()
        return snapshot


def snapshot_live_reset() -> None:
    """Forget what async code saw (tests, next to `snapshot_reset`)."""
    _live.snapshot = None
    _live.fresh_until = 0.0


def follow(follower: RevisionFollower) -> None:
    """Let the process listener tell this socket of new revisions (starting the listener on
    this event loop if the server has no lifespan)."""
    _live.followers.add(follower)
    loop = asyncio.get_running_loop()
    if loop not in _live.listening:
        # Ends with its loop: nothing else on a server without lifespan would stop it.
        _live.listening[loop] = _listen()


def unfollow(follower: RevisionFollower) -> None:
    _live.followers.discard(follower)


async def _fan_out(snapshot: Snapshot, *, behind: int) -> None:
    """Tell every local socket that decided before revision `behind` of `snapshot`'s revision.

    One socket after another, on the event loop: a push that re-evaluates to the same decisions
    sends nothing, and one that has work to wait for schedules it rather than holding the rest.
    """
    # Decisions made for one anonymous socket serve the others with the same inputs.
    shared = SharedDecisions()
    event = {"type": "revision.published", "revision": snapshot.revision, "shared": shared}
    for told, follower in enumerate(list(_live.followers), start=1):
        if told % FAN_OUT_BATCH == 0:
            # The event loop writes what was sent so far (uvloop flushes writes between its
            # iterations), so the first sockets are not held until the last one is decided.
            await asyncio.sleep(0)
        if follower.revision >= behind:
            continue
        try:
            await follower.revision_published(event)
        except Exception:
            logger.exception("A socket failed to catch up with revision %s.", snapshot.revision)
    shared.record()


async def revision_check(*, known: int) -> Snapshot:
    """One periodic check: refresh the snapshot, then re-evaluate the local sockets still behind
    `known`, the revision this process had one period ago. Its broadcast, if there was one, has
    been handled by then, so a socket behind it missed it (a newer one may still be on its way).
    """
    _live.fresh_until = 0.0
    snapshot = await asnapshot_current()
    await _fan_out(snapshot, behind=known)
    return snapshot


async def _check_periodically() -> None:
    known = 0
    while True:
        await asyncio.sleep(_check_seconds())
        try:
            known = (await revision_check(known=known)).revision
        except Exception:
            logger.exception("The periodic revision check failed; trying again next period.")


async def _stay_in_group(layer: Any, channel: str) -> None:
    # Channel layers drop a group member after `group_expiry` (a day by default): join again
    # well before, so a process up for weeks still hears every broadcast.
    while True:
        await asyncio.sleep(GROUP_RENEW_SECONDS)
        await layer.group_add(REVISIONS_GROUP, channel)


async def _follow_broadcasts() -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    while True:
        channel = ""
        try:
            channel = await layer.new_channel()
            await layer.group_add(REVISIONS_GROUP, channel)
            async with asyncio.TaskGroup() as group:
                group.create_task(_stay_in_group(layer, channel))
                while True:
                    message = await layer.receive(channel)
                    if message.get("type") == "revision.published":
                        revision = int(message.get("revision", 0))
                        snapshot = await asnapshot_current(at_least=revision)
                        await _fan_out(snapshot, behind=snapshot.revision)
        except asyncio.CancelledError:
            if channel:
                with contextlib.suppress(Exception):
                    await layer.group_discard(REVISIONS_GROUP, channel)
            raise
        except Exception:
            # The layer is down or the revision could not be loaded: the periodic check covers
            # the gap; listen again after a pause.
            logger.exception("Revision broadcasts interrupted; listening again shortly.")
            await asyncio.sleep(_check_seconds())


def group_send_soon(group: str, message: dict[str, Any]) -> None:
    """Send a channel-layer message from sync code without waiting for it to go out.

    While the listener runs, the send is handed to the server's event loop and the request goes
    on (waiting costs a sync view more than all its other work); elsewhere (commands, tests) it
    is sent at once. A failure is logged: the message only speeds up what sockets would learn.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _live.loop
    if loop is None or not loop.is_running():
        async_to_sync(layer.group_send)(group, message)
        return
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop)
    future.add_done_callback(_log_failure)


def _log_failure(future: concurrent.futures.Future[None]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        logger.warning("Could not send a message to open sockets.", exc_info=exc)


def _listen() -> list[asyncio.Task[None]]:
    return [asyncio.create_task(_follow_broadcasts()), asyncio.create_task(_check_periodically())]


@contextlib.asynccontextmanager
async def revision_listener() -> AsyncIterator[None]:
    """Run the listener (broadcasts, fan-out and the periodic check) for the duration of the
    block, unless one already runs on this event loop."""
    loop = asyncio.get_running_loop()
    if loop in _live.listening:
        yield
        return
    tasks = _live.listening[loop] = _listen()
    _live.loop = loop
    try:
        yield
    finally:
        _live.loop = None
        del _live.listening[loop]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI lifespan: the process listener runs from server start-up to shutdown."""
    async with contextlib.AsyncExitStack() as stack:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Start-up objects (modules, settings, URL patterns) live as long as the process:
                # out of the collector's sight, a full collection pauses pushes for milliseconds
                # instead of tens of them.
                gc.freeze()
                await stack.enter_async_context(revision_listener())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await stack.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
