"""A decisions socket's stream: what it serves and pushes, numbered, only when a decision changed.

The stream holds the subscription (placements, context), what was last sent and its etag, the
message sequence and the revision; it serves through `personalization.serving`'s async twin,
reading the visitor's consent again first when its process knows it changed (`ConsentOutdated`).
Protocol: `contracts/websocket.md`.
"""

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from consent.versions import consent_version_known
from personalization import metrics
from personalization.exceptions import UnknownPlacement
from personalization.serving import ConsentOutdated, Decisions, adecisions_serve
from personalization.socket_visitor import SocketVisitor
from personalization.sockets import Served, SharedDecisions, SocketJobs, context_key, shared_key


class DecisionStream:
    def __init__(
        self,
        visitor: SocketVisitor,
        *,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        jobs: SocketJobs,
    ) -> None:
        self.visitor, self._send_json, self.jobs = visitor, send, jobs
        self.context: dict[str, Any] = {}
        self.context_key = context_key(self.context)
        self.placements: list[str] | None = None
        self.subscribed = self.closing = False
        self.revision = self.seq = 0
        self.sent: Served | None = None
        self.lock = asyncio.Lock()

    async def subscribe(
        self, *, placements: list[str] | None, context: dict[str, Any], resume: Any
    ) -> None:
        """Serve the new subscription at once (or `resumed` when the client's copy is current);
        one naming a placement the revision does not have is refused, the old one kept."""
        async with self.lock:
            previous = self.context, self.placements
            self.context, self.placements = context, placements
            try:
                served = Served.of(await self._serve())
            except UnknownPlacement as exc:
                self.context, self.placements = previous
                await self.send_locked(
                    "error", code=exc.code, message=exc.message, details=exc.details
                )
                return
            self.context_key = context_key(self.context)
            self.subscribed = True
            if resume is not None:
                self.seq = max(self.seq, resume["seq"])
                if resume["etag"] == served.etag:
                    self.revision, self.sent = served.result.revision, served
                    self._schedule_window_expiry()
                    await self.send_locked("resumed", etag=resume["etag"])
                    return
            await self._push_locked(served, force=True)

    async def context_replace(self, context: dict[str, Any]) -> None:
        self.context, self.context_key = context, context_key(context)
        await self.refresh("context")

    async def refresh(
        self, cause: str, at_least: int = 0, shared: SharedDecisions | None = None
    ) -> None:
        """Serve again with what the socket holds; push only if a decision changed. `shared`:
        a fan-out's decisions for anonymous sockets, made once for equal inputs."""
        if not self.subscribed:
            return
        started = time.perf_counter()
        async with self.lock:

            async def make() -> Served:
                return Served.of(await self._serve(at_least, drop_unknown=True))

            key = None
            if shared is not None and self.visitor.subject_id is None:
                key = shared_key(
                    purposes=self.visitor.consent.purposes,
                    context_key=self.context_key,
                    placements=self.placements,
                )
            served = await (shared.serve(key, at_least=at_least, make=make) if shared else make())
            if await self._push_locked(served, force=False):
                metrics.push_latency_observe(time.perf_counter() - started, cause=cause)

    async def send(self, kind: str, **fields: Any) -> None:
        async with self.lock:
            await self.send_locked(kind, **fields)

    async def send_locked(self, kind: str, **fields: Any) -> None:
        if not self.closing:
            self.seq += 1
            await self._send_json(
                {"type": kind, "revision": self.revision, "seq": self.seq, **fields}
            )

    async def _serve(self, at_least: int = 0, *, drop_unknown: bool = False) -> Decisions:
        """The visitor's decisions; their consent read again first if this process knows it
        changed. With `drop_unknown`, a placement a new revision deleted is dropped (with an
        error) and the others served."""
        while True:
            try:
                return await adecisions_serve(
                    consent=self.visitor.consent,
                    context=self.context,
                    placements=self.placements,
                    signals=self.visitor.signals,
                    at_least=at_least,
                )
            except ConsentOutdated as exc:
                await self.visitor.load(version=consent_version_known(str(exc)))
            except UnknownPlacement as exc:
                if not drop_unknown or self.placements is None:
                    raise
                self.placements = [p for p in self.placements if p not in exc.keys]
                await self.send_locked(
                    "error", code=exc.code, message=exc.message, details=exc.details
                )

    async def _unknown(self, exc: UnknownPlacement) -> None:
        await self.send_locked("error", code=exc.code, message=exc.message, details=exc.details)

    async def _push_locked(self, served: Served, *, force: bool) -> bool:
        """Send the decisions if they changed (or `force`); whether they were sent."""
        self.revision = served.result.revision
        self._schedule_window_expiry()
        previous = self.sent
        if not force and previous is not None and served.etag == previous.etag:
            return False
        before = previous.payload if previous is not None else {}
        changed = [key for key, decision in served.payload.items() if before.get(key) != decision]
        self.sent = served
        await self.send_locked(
            "decisions", decisions=served.payload, changed=changed, etag=served.etag
        )
        return True

    def _schedule_window_expiry(self) -> None:
        # Counts also change when an event leaves a window, with no message to say so.
        signals = self.visitor.signals
        delay = signals.next_change(now=time.time()) if signals else None
        if delay is None:
            self.jobs.cancel("window")
        else:
            self.jobs.schedule("window", delay + 0.01, functools.partial(self.refresh, "window"))
