"""The live decisions websocket, `/ws/v1/decisions` (protocol: `contracts/websocket.md`).

Transport only: decisions are served by `personalization.serving`, consent is resolved by
`consent.services`, revisions and lost messages are caught up by `personalization.lifespan`.
"""

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http.cookie import parse_cookie

from consent.selectors import ConsentSnapshot, consent_deny_all, subject_group_name
from consent.services import aconsent_for
from consent.tokens import SUBJECT_COOKIE, SubjectToken, subject_token_read
from consent.versions import consent_version_known
from personalization import metrics
from personalization.exceptions import UnknownPlacement
from personalization.lifespan import follow, unfollow
from personalization.serializers import context_problems
from personalization.serving import ConsentOutdated, Decisions, adecisions_serve
from personalization.signals.selectors import asignals_window_get, signals_allowed
from personalization.signals.windows import SignalWindow
from personalization.sockets import (
    CLOSE_FLOOD,
    CLOSE_TOO_BIG,
    Served,
    SharedDecisions,
    context_key,
    shared_key,
    subscribe_problems,
)
from personalization.throttling import MessageBucket

logger = logging.getLogger(__name__)

type Job = Callable[[], Coroutine[Any, Any, None]]


class _Open:
    count = 0


class DecisionConsumer(AsyncJsonWebsocketConsumer):
    """One visitor's socket: keeps their consent, signal window and context, pushes changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token: SubjectToken | None = None
        self.gpc = False
        self.consent: ConsentSnapshot = consent_deny_all()
        self.signals: SignalWindow | None = None
        self.context: dict[str, Any] = {}
        self.context_key = context_key(self.context)
        self.placements: list[str] | None = None
        self.opened = self.closing = self.released = self.subscribed = False
        self.revision = self.seq = 0
        self.sent: Served | None = None
        self.lock = asyncio.Lock()
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    # Connection: one way in, one way out ------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Whatever ends the connection (a close, a disconnect, an error), it is released once.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release()

    async def connect(self) -> None:
        if _Open.count >= int(settings.TACTFUL["WS_MAX_SOCKETS"]):
            await self.close()  # before accepting: the handshake is refused (HTTP 403)
            return
        headers = dict(self.scope.get("headers", []))
        cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))
        self.gpc = headers.get(b"sec-gpc") == b"1"
        tactful = settings.TACTFUL
        self.bucket = MessageBucket(
            rate=float(tactful["WS_MESSAGES_PER_SECOND"]), burst=int(tactful["WS_MESSAGE_BURST"])
        )
        await self.accept()
        self.opened = True
        _Open.count += 1
        metrics.websocket_opened()
        await self._identify(subject_token_read(cookies.get(SUBJECT_COOKIE)))
        follow(self)
        # The first beat at a random point of the period, so that sockets opened together do
        # not all beat at the same moment.
        period = float(tactful["WS_HEARTBEAT_SECONDS"])
        self._schedule("heartbeat", period * random.uniform(0.5, 1.0), self._heartbeat)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if not self.closing:
            self.closing = True
            await super().close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        await self._release()

    async def _release(self) -> None:
        if self.released:
            return
        self.released = True
        if self.opened:
            _Open.count -= 1
            metrics.websocket_closed()
        unfollow(self)
        for timer in self.timers.values():
            timer.cancel()
        for task in self.tasks:
            task.cancel()
        if self.token is not None:
            try:
                await self.channel_layer.group_discard(
                    subject_group_name(self.token.public_id), self.channel_name
                )
            except Exception:
                logger.warning("Could not leave a subject's group.", exc_info=True)

    async def _identify(self, token: SubjectToken | None) -> None:
        # Join the subject's group before reading its state, so no change falls in between.
        if token is not None:
            self.token = token
            await self.channel_layer.group_add(
                subject_group_name(token.public_id), self.channel_name
            )

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, a thread hop per
        # message that costs more than the push itself; this consumer reaches the database only
        # through threads of its own, which close them on their own.
        if self.released or (self.closing and message["type"] != "websocket.disconnect"):
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # Client messages --------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.bucket.take():
            await self.close(code=CLOSE_FLOOD, reason="too many messages")
            return
        limit = int(settings.TACTFUL["WS_MAX_MESSAGE_BYTES"])
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > limit:
            await self.close(code=CLOSE_TOO_BIG, reason=f"message over {limit} bytes")
            return
        if text_data is None:
            await self._error("binary_frame", "Send JSON text frames.")
            return
        try:
            content = orjson.loads(text_data)
        except orjson.JSONDecodeError as exc:
            await self._error("invalid_json", f"Malformed JSON: {exc}")
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "subscribe":
            await self._subscribe(content)
        elif kind == "context":
            await self._context(content)
        elif kind == "ping":
            await self._send("pong")
        else:
            await self._error(
                "unknown_type", 'Messages are objects of "type" subscribe, context or ping.'
            )

    async def _subscribe(self, content: dict[str, Any]) -> None:
        if problems := subscribe_problems(content):
            await self._error("invalid_message", "The subscribe message is not valid.", problems)
            return
        token = subject_token_read(content.get("token"))
        if token is not None and self.token is not None:
            if token.public_id != self.token.public_id:
                await self._error(
                    "subject_mismatch", "This connection belongs to another visitor; reconnect."
                )
                return
            self.token = max(token, self.token, key=lambda t: t.version)
        elif token is not None:
            await self._identify(token)
        consent = await aconsent_for(token=self.token, gpc=self.gpc)
        signals = await self._window(consent)
        resume = content.get("resume")
        async with self.lock:
            previous = self.consent, self.signals, self.context, self.placements
            self.consent, self.signals = consent, signals
            self.context = content.get("context", self.context)
            self.placements = content.get("placements")
            try:
                served = Served.of(await self._serve())
            except UnknownPlacement as exc:
                self.consent, self.signals, self.context, self.placements = previous
                await self._send_locked(
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
                    await self._send_locked("resumed", etag=resume["etag"])
                    return
            await self._push_locked(served, force=True)

    async def _context(self, content: dict[str, Any]) -> None:
        problems = context_problems(content.get("context"))
        if problems or set(content) - {"type", "context"}:
            await self._error("invalid_message", "The context message is not valid.", problems)
            return
        if not self.subscribed:
            await self._error("subscribe_first", "Subscribe before sending a context.")
            return
        self.context = content["context"]
        self.context_key = context_key(self.context)
        await self._refresh("context")

    # Channel-layer events (and the process listener) ------------------------------------

    async def revision_published(self, event: dict[str, Any]) -> None:
        """From the process listener, which tells its sockets one after another and lends them
        `shared`, the decisions it has made for anonymous sockets during this round."""
        revision = int(event.get("revision", 0))
        if not self.subscribed or revision <= self.revision:
            return
        if self.lock.locked():
            # Busy (subscribing, say): catch up on its own rather than hold the other sockets.
            self._spawn(functools.partial(self._refresh, "revision", at_least=revision))
            return
        await self._refresh("revision", at_least=revision, shared=event.get("shared"))

    async def consent_changed(self, event: dict[str, Any]) -> None:
        """The subject's consent or preferences changed (to `version`): read them again."""
        if self.token is not None and int(event.get("version", 0)) > self.consent.version:
            await self._reload(int(event["version"]))
            if self.subscribed:
                await self._refresh("consent")

    async def signals_changed(self, event: dict[str, Any]) -> None:
        """New events of the subject: their window, and their consent with it, read again (a
        change that raced the events, an erasure say, is seen before anything is pushed)."""
        if self.subscribed and self.token is not None and signals_allowed(self.consent):
            await self._reload(0)
            await self._refresh("signals")

    async def subject_erased(self, event: dict[str, Any]) -> None:
        if self.token is None:
            return
        await self.channel_layer.group_discard(
            subject_group_name(self.token.public_id), self.channel_name
        )
        self.token, self.signals = None, None
        self.consent = await aconsent_for(token=None, gpc=self.gpc)
        if self.subscribed:
            await self._refresh("consent")

    # Serving and sending ----------------------------------------------------------------

    async def _reload(self, version: int) -> None:
        """Read the subject's consent again, at `version` at least; drop the signal window
        first, and read it again only if the new consent allows it."""
        assert self.token is not None
        self.signals = None
        self.token = SubjectToken(self.token.public_id, max(self.token.version, version))
        consent = await aconsent_for(token=self.token, gpc=self.gpc)
        if consent.subject_id is None:
            await self.subject_erased({"type": "subject.erased"})
            return
        self.consent, self.signals = consent, await self._window(consent)

    async def _window(self, consent: ConsentSnapshot) -> SignalWindow | None:
        if consent.subject_id is None or not signals_allowed(consent):
            return None
        return await asignals_window_get(subject_id=consent.subject_id)

    async def _serve(self, at_least: int = 0) -> Decisions:
        """Serve the socket's decisions; its consent first, if this process knows it changed."""
        while True:
            try:
                return await adecisions_serve(
                    consent=self.consent,
                    context=self.context,
                    placements=self.placements,
                    signals=self.signals,
                    at_least=at_least,
                )
            except ConsentOutdated:
                assert self.token is not None
                await self._reload(consent_version_known(self.token.public_id))

    async def _refresh(
        self, cause: str, at_least: int = 0, shared: SharedDecisions | None = None
    ) -> None:
        """Serve again with what the socket holds; push only if a decision changed."""
        started = time.perf_counter()
        async with self.lock:
            key = None
            if shared is not None and self.consent.subject_id is None:
                key = shared_key(
                    purposes=self.consent.purposes,
                    context_key=self.context_key,
                    placements=self.placements,
                )
            served = shared.get(key, at_least=at_least) if shared and key else None
            if shared and key and served is not None:
                shared.served_again(key)
            else:
                served = Served.of(await self._serve_known(at_least))
                if shared and key:
                    shared.put(key, served)
            if await self._push_locked(served, force=False):
                metrics.push_latency_observe(time.perf_counter() - started, cause=cause)

    async def _serve_known(self, at_least: int) -> Decisions:
        try:
            return await self._serve(at_least)
        except UnknownPlacement as exc:
            # A new revision deleted a subscribed placement: keep deciding the others.
            assert self.placements is not None
            self.placements = [p for p in self.placements if p not in exc.keys]
            await self._send_locked(
                "error", code=exc.code, message=exc.message, details=exc.details
            )
            return await self._serve(at_least)

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
        await self._send_locked(
            "decisions", decisions=served.payload, changed=changed, etag=served.etag
        )
        return True

    async def _send(self, kind: str, **fields: Any) -> None:
        async with self.lock:
            await self._send_locked(kind, **fields)

    async def _send_locked(self, kind: str, **fields: Any) -> None:
        if self.closing:
            return
        self.seq += 1
        await self.send_json({"type": kind, "revision": self.revision, "seq": self.seq, **fields})

    async def _error(self, code: str, message: str, details: Any = None) -> None:
        fields: dict[str, Any] = {"code": code, "message": message}
        if details:
            fields["details"] = details
        await self._send("error", **fields)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return orjson.dumps(content).decode()

    # Timers -----------------------------------------------------------------------------

    def _schedule(self, name: str, delay: float, job: Job) -> None:
        if (timer := self.timers.pop(name, None)) is not None:
            timer.cancel()
        self.timers[name] = asyncio.get_running_loop().call_later(delay, self._spawn, job)

    def _spawn(self, job: Job) -> None:
        if self.released:
            return
        task = asyncio.ensure_future(self._run(job))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, job: Job) -> None:
        try:
            await job()
        except Exception:
            # A timer firing as the socket closes has nobody left to tell.
            logger.warning("A timed job of a decisions socket failed.", exc_info=True)

    async def _heartbeat(self) -> None:
        self._schedule(
            "heartbeat", float(settings.TACTFUL["WS_HEARTBEAT_SECONDS"]), self._heartbeat
        )
        # Channel layers drop a group member after a day (group_expiry); a beat renews it, so
        # a tab left open for days still gets its subject's pushes.
        if self.token is not None:
            await self.channel_layer.group_add(
                subject_group_name(self.token.public_id), self.channel_name
            )
        await self._send("heartbeat")

    def _schedule_window_expiry(self) -> None:
        # Counts also change when an event leaves a window, with no message to say so.
        delay = self.signals.next_change(now=time.time()) if self.signals else None
        if delay is None:
            if (timer := self.timers.pop("window", None)) is not None:
                timer.cancel()
            return
        self._schedule("window", delay + 0.01, functools.partial(self._refresh, "window"))
