"""The process listener: keeps this process's snapshot and its open sockets current.

One listener per process (per event loop) hears the `revisions` broadcast, swaps the snapshot,
wakes the edges' revision streams (`personalization.edge.push`), then tells each local socket
still behind: sockets do not join the group themselves, so a
publish costs one channel-layer message per process, not one per socket, and the fan-out to
1,000 sockets is one loop on the event loop with no message queue in between.

The listener starts with the ASGI lifespan (so a process with no socket open swaps too), or
with the first socket on a server without lifespan. Broadcasts can be lost (Redis pub/sub is
at-most-once), so every `REVISION_CHECK_SECONDS` it also checks:
- the revision, re-evaluating the local sockets still behind after a full period;
- the consent version of every subject with a socket here, in the database, so a socket that
  missed a `consent.changed` or `subject.erased` message catches up within a period;
- the consent changes whose reactions an outage held up (`consent.services.announce`);
- the workspace's due work: scheduled publications, webhook retries
  (`personalization.workspace.periodic`).
"""

import asyncio
import contextlib
import gc
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from config.broadcast import broadcast_loop_set
from consent.selectors import ConsentSnapshot, consent_versions_stored
from consent.services.announce import changes_react_pending
from consent.versions import consent_version_learn
from personalization.edge.push import edge_revision_announce
from personalization.engine import Snapshot
from personalization.snapshot import REVISIONS_GROUP, asnapshot_current, asnapshot_expire
from personalization.sockets import SharedDecisions
from personalization.workspace.periodic import workspace_due_work

logger = logging.getLogger(__name__)

# Sockets told of a revision between two turns of the event loop.
FAN_OUT_BATCH = 32
# How often the listener renews its membership of the revisions group.
GROUP_RENEW_SECONDS = 3600.0
# Subjects whose consent version one query of the periodic check reads.
CONSENT_CHECK_BATCH = 500

type Scope = MutableMapping[str, Any]
type Receive = Callable[[], Awaitable[dict[str, Any]]]
type Send = Callable[[dict[str, Any]], Awaitable[None]]


class Follower(Protocol):
    """A local socket: decides at `revision` under `consent`, and is told when either is behind."""

    revision: int
    consent: ConsentSnapshot

    async def revision_published(self, event: dict[str, Any]) -> None: ...

    async def consent_changed(self, event: dict[str, Any]) -> None: ...

    async def subject_erased(self, event: dict[str, Any]) -> None: ...


class _Listening:
    def __init__(self) -> None:
        self.followers: weakref.WeakSet[Any] = weakref.WeakSet()
        # The listener's tasks on each event loop that has one.
        self.tasks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[asyncio.Task[None]]
        ] = weakref.WeakKeyDictionary()


_listening = _Listening()


def _check_seconds() -> float:
    return float(settings.TACTFUL["REVISION_CHECK_SECONDS"])


def follow(follower: Follower) -> None:
    """Let the process listener tell this socket of new revisions and consent versions
    (starting the listener on this event loop if the server has no lifespan)."""
    _listening.followers.add(follower)
    loop = asyncio.get_running_loop()
    if loop not in _listening.tasks:
        # Ends with its loop: nothing else on a server without lifespan would stop it.
        _listening.tasks[loop] = _listen()


def unfollow(follower: Follower) -> None:
    _listening.followers.discard(follower)


async def _fan_out(snapshot: Snapshot, *, behind: int) -> None:
    """Tell every local socket that decided before revision `behind` of `snapshot`'s revision.

    One socket after another, on the event loop: a push that re-evaluates to the same decisions
    sends nothing, and one that has work to wait for schedules it rather than holding the rest.
    """
    # Decisions made for one anonymous socket serve the others with the same inputs.
    shared = SharedDecisions()
    event = {"type": "revision.published", "revision": snapshot.revision, "shared": shared}
    for told, follower in enumerate(list(_listening.followers), start=1):
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
    asnapshot_expire()
    snapshot = await asnapshot_current()
    edge_revision_announce(snapshot.revision)
    await _fan_out(snapshot, behind=known)
    return snapshot


async def consent_check() -> None:
    """Tell each local socket whose subject's consent changed (or who was erased) since its
    consent was read: the database says so even when the broadcast was lost."""
    by_subject: dict[str, list[Follower]] = {}
    for follower in list(_listening.followers):
        if (subject_id := follower.consent.subject_id) is not None:
            by_subject.setdefault(subject_id, []).append(follower)
    subject_ids = list(by_subject)
    for start in range(0, len(subject_ids), CONSENT_CHECK_BATCH):
        batch = subject_ids[start : start + CONSENT_CHECK_BATCH]
        stored = await sync_to_async(consent_versions_stored, thread_sensitive=False)(
            subject_ids=batch
        )
        for subject_id, version in stored.items():
            for follower in by_subject[subject_id]:
                if version is None:
                    await follower.subject_erased({"type": "subject.erased"})
                elif version > follower.consent.version:
                    consent_version_learn(subject_id=subject_id, version=version)
                    await follower.consent_changed({"type": "consent.changed", "version": version})


async def _check_periodically() -> None:
    known = 0

    async def revision() -> None:
        nonlocal known
        known = (await revision_check(known=known)).revision

    jobs: tuple[Callable[[], Awaitable[Any]], ...] = (
        revision,
        consent_check,
        sync_to_async(changes_react_pending, thread_sensitive=False),
        # Scheduled publications and webhook retries; each runs once across processes.
        sync_to_async(workspace_due_work, thread_sensitive=False),
    )
    while True:
        await asyncio.sleep(_check_seconds())
        for job in jobs:
            # One failing (the database down, say) does not hold up the others.
            try:
                await job()
            except Exception:
                logger.exception("A periodic check failed; trying again next period.")


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
                        edge_revision_announce(snapshot.revision)
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


def _listen() -> list[asyncio.Task[None]]:
    return [asyncio.create_task(_follow_broadcasts()), asyncio.create_task(_check_periodically())]


@contextlib.asynccontextmanager
async def revision_listener() -> AsyncIterator[None]:
    """Run the listener (broadcasts, fan-out and the periodic checks) for the duration of the
    block, unless one already runs on this event loop."""
    loop = asyncio.get_running_loop()
    if loop in _listening.tasks:
        yield
        return
    tasks = _listening.tasks[loop] = _listen()
    broadcast_loop_set(loop)
    try:
        yield
    finally:
        broadcast_loop_set(None)
        del _listening.tasks[loop]
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
