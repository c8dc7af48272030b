"""The live decisions websocket, `/ws/v1/decisions`: decisions at once, then pushes on change.

Protocol (JSON text frames). Every server message carries `type`, `revision` (the snapshot the
decisions were made from) and `seq` (per connection, +1 for every server message).

Client → server:
- `{"type": "subscribe", "placements": [...], "context": {...}, "token": "...",
  "resume": {"seq": n, "etag": "..."}}` — all but `type` optional. `placements` as in
  `/api/v1/decide` (all when omitted), `context` the `context.*` attributes. The visitor is
  the `tactful_subject` cookie of the handshake, else the signed subject `token` of the first
  subscribe (the value of `X-Tactful-Subject`); without a valid one, contextual decisions only.
  Answered at once by `decisions` (or `resumed`). Subscribing again replaces placements and
  context; the subject of a connection never changes.
- `{"type": "context", "context": {...}}` — replace the context; pushes if decisions change.
- `{"type": "ping"}` — answered by `pong`.

Server → client:
- `{"type": "decisions", "revision", "seq", "decisions": {key: decision}, "changed": [...],
  "etag"}` — every subscribed decision, shaped as in `/api/v1/decide`; `changed` names those
  that differ from the previous message. Pushed only when a decision changed, after: a new
  revision (publish or rollback), a consent or preference change of the subject (withdrawal
  serves the defaults at once), new signals of the subject, a context update, an event leaving
  a signal window, or the subject's erasure (back to anonymous).
- `{"type": "resumed", "revision", "seq", "etag"}` — answer to a subscribe with `resume`
  whose `etag` equals the current decisions' etag: the client's copy is current.
- `{"type": "heartbeat", "revision", "seq"}` — every `TACTFUL_WS_HEARTBEAT_SECONDS`.
- `{"type": "pong", "revision", "seq"}`.
- `{"type": "error", "revision", "seq", "code", "message", "details"?}` — an invalid message
  (`invalid_json`, `invalid_message`, `unknown_type`, `binary_frame`, `subscribe_first`,
  `unknown_placement`, `subject_mismatch`); the connection stays open.

Resume: after a reconnect, send `resume` with the last `seq` and `etag` received: numbering
goes on from that `seq`, and the decisions are sent again only if they differ.

Close codes: 1009 — a message over `TACTFUL_WS_MAX_MESSAGE_BYTES`; 4429 — more messages than
`TACTFUL_WS_MESSAGE_BURST` at once or `TACTFUL_WS_MESSAGES_PER_SECOND` sustained. A handshake
from an Origin that is not an allowed host is refused (HTTP 403).
"""

import asyncio
import functools
import logging
import random
import time
from collections.abc import Mapping
from typing import Any

import orjson
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http.cookie import parse_cookie

from consent.models import ADVERTISING
from consent.selectors import (
    ConsentSnapshot,
    consent_deny_all,
    consent_state_get,
    subject_group_name,
)
from consent.tokens import SUBJECT_COOKIE, subject_token_read
from personalization import metrics
from personalization.decision_log import decision_log_record
from personalization.exceptions import UnknownPlacement
from personalization.lifespan import follow, unfollow
from personalization.selectors import Decisions, adecision_for_socket, socket_preferences_get
from personalization.serializers import context_problems
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


class DecisionConsumer(AsyncJsonWebsocketConsumer):
    """One visitor's socket: keeps their consent, signal window and context, pushes changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject_id: str | None = None
        self.gpc = False
        self.consent: ConsentSnapshot = consent_deny_all()
        self.signals: SignalWindow | None = None
        self.prefs: Mapping[str, Any] | None = None
        self.context: dict[str, Any] = {}
        self.context_key = context_key(self.context)
        self.placements: list[str] | None = None
        self.opened = False
        self.subscribed = False
        self.revision = 0
        self.seq = 0
        self.sent: Served | None = None
        self.lock = asyncio.Lock()
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    # Connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        headers = dict(self.scope.get("headers", []))
        cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))
        self.gpc = headers.get(b"sec-gpc") == b"1"
        tactful = settings.TACTFUL
        self.bucket = MessageBucket(
            rate=float(tactful["WS_MESSAGES_PER_SECOND"]), burst=int(tactful["WS_MESSAGE_BURST"])
        )
        await self.accept()
        self.opened = True
        metrics.websocket_opened()
        await self._identify(subject_token_read(cookies.get(SUBJECT_COOKIE)))
        follow(self)
        # The first beat at a random point of the period, so that sockets opened together do
        # not all beat at the same moment.
        period = float(tactful["WS_HEARTBEAT_SECONDS"])
        self._schedule("heartbeat", period * random.uniform(0.5, 1.0), self._heartbeat)

    async def disconnect(self, code: int) -> None:
        if self.opened:
            metrics.websocket_closed()
        unfollow(self)
        for timer in self.timers.values():
            timer.cancel()
        for task in self.tasks:
            task.cancel()
        if self.subject_id:
            await self.channel_layer.group_discard(
                subject_group_name(self.subject_id), self.channel_name
            )

    async def _identify(self, subject_id: str | None) -> None:
        # Join the subject's group before reading its state, so no change falls in between.
        if subject_id:
            self.subject_id = subject_id
            await self.channel_layer.group_add(subject_group_name(subject_id), self.channel_name)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, a thread hop per
        # message that costs more than the push itself; this consumer reaches the database only
        # through database_sync_to_async, which closes them on its own.
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
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "subscribe":
            await self._subscribe(content)
        elif kind == "ping":
            await self._send("pong")
        elif kind == "context":
            await self._context(content)
        else:
            await self._error(
                "unknown_type", 'Messages are objects of "type" subscribe, context or ping.'
            )

    async def _subscribe(self, content: dict[str, Any]) -> None:
        problems = subscribe_problems(content)
        if problems:
            await self._error("invalid_message", "The subscribe message is not valid.", problems)
            return
        token_subject = subject_token_read(content.get("token"))
        if token_subject and self.subject_id and token_subject != self.subject_id:
            await self._error(
                "subject_mismatch", "This connection belongs to another visitor; reconnect."
            )
            return
        if token_subject and not self.subject_id:
            await self._identify(token_subject)
        consent = await database_sync_to_async(consent_state_get)(subject_id=self.subject_id)
        signals = await self._signals_for(consent)
        prefs = await socket_preferences_get(consent=consent)
        placements = content.get("placements")
        context = content.get("context", self.context)
        resume = content.get("resume")
        async with self.lock:
            try:
                result = await self._evaluate(consent, signals, prefs, context, placements)
            except UnknownPlacement as exc:
                await self._send_locked(
                    "error", code=exc.code, message=exc.message, details=exc.details
                )
                return
            self.consent, self.signals, self.prefs = consent, signals, prefs
            self.context, self.placements = context, placements
            self.context_key = context_key(context)
            self.subscribed = True
            served = Served.of(result)
            if resume is not None:
                self.seq = max(self.seq, resume["seq"])
                if resume["etag"] == served.etag:
                    self.revision, self.sent = result.revision, served
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

    # Channel-layer events ---------------------------------------------------------------

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
        purposes = event.get("purposes")
        if not self.subscribed or not isinstance(purposes, dict) or not self.subject_id:
            return
        consent = ConsentSnapshot(
            subject_id=self.subject_id, purposes=dict(purposes), gpc=self.consent.gpc
        )
        # Withdrawal drops the window and the preferences before anything is evaluated:
        # nothing of them is used again.
        self.signals, self.prefs = None, None
        self.consent = consent
        self.signals = await self._signals_for(consent)
        self.prefs = await socket_preferences_get(consent=consent)
        await self._refresh("consent")

    async def preferences_changed(self, event: dict[str, Any]) -> None:
        if self.subscribed:
            self.prefs = await socket_preferences_get(consent=self.consent)
            await self._refresh("preferences")

    async def signals_changed(self, event: dict[str, Any]) -> None:
        if self.subscribed and signals_allowed(self.consent):
            self.signals = await self._signals_for(self.consent)
            await self._refresh("signals")

    async def subject_erased(self, event: dict[str, Any]) -> None:
        if self.subject_id:
            await self.channel_layer.group_discard(
                subject_group_name(self.subject_id), self.channel_name
            )
        self.subject_id = None
        self.consent = consent_deny_all()
        self.signals, self.prefs = None, None
        if self.subscribed:
            await self._refresh("consent")

    # Evaluation and sending -------------------------------------------------------------

    async def _signals_for(self, consent: ConsentSnapshot) -> SignalWindow | None:
        if consent.subject_id is None or not signals_allowed(consent):
            return None
        return await asignals_window_get(subject_id=consent.subject_id)

    def _with_gpc(self, consent: ConsentSnapshot) -> ConsentSnapshot:
        if not self.gpc or not consent.purposes.get(ADVERTISING):
            return consent
        return ConsentSnapshot(
            subject_id=consent.subject_id,
            purposes={**consent.purposes, ADVERTISING: False},
            gpc=True,
        )

    async def _evaluate(
        self,
        consent: ConsentSnapshot,
        signals: SignalWindow | None,
        prefs: Mapping[str, Any] | None,
        context: dict[str, Any],
        placements: list[str] | None,
        at_least: int = 0,
    ) -> Decisions:
        return await adecision_for_socket(
            consent=self._with_gpc(consent),
            context=context,
            placements=placements,
            signals=signals,
            prefs=prefs,
            revision=at_least,
        )

    async def _refresh(
        self, cause: str, at_least: int = 0, shared: SharedDecisions | None = None
    ) -> None:
        """Re-evaluate with what the socket holds; push only if a decision changed."""
        started = time.perf_counter()
        async with self.lock:
            served = None
            key = self._shared_key() if shared is not None else None
            if shared is not None and key is not None:
                served = shared.get(key, at_least=at_least)
                if served is not None:
                    shared.served_again(key)
            if served is None:
                served = Served.of(await self._evaluate_locked(at_least))
                # Under the inputs it was made from (a deleted placement may have gone).
                if shared is not None and (key := self._shared_key()) is not None:
                    shared.put(key, served)
            if await self._push_locked(served, force=False):
                metrics.push_latency_observe(time.perf_counter() - started, cause=cause)

    def _shared_key(self) -> tuple[Any, ...] | None:
        if self.consent.subject_id is not None:
            return None
        return shared_key(
            purposes=self.consent.purposes, context_key=self.context_key, placements=self.placements
        )

    async def _evaluate_locked(self, at_least: int) -> Decisions:
        try:
            return await self._evaluate(
                self.consent, self.signals, self.prefs, self.context, self.placements, at_least
            )
        except UnknownPlacement as exc:
            # A new revision deleted a subscribed placement: keep deciding the others.
            assert self.placements is not None
            self.placements = [p for p in self.placements if p not in exc.keys]
            await self._send_locked(
                "error", code=exc.code, message=exc.message, details=exc.details
            )
            return await self._evaluate(
                self.consent, self.signals, self.prefs, self.context, self.placements, at_least
            )

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
        # Live decisions explain themselves in the privacy center like the ones over HTTP; the
        # cache write goes on after the push, not before the next socket's.
        if self.consent.subject_id is not None and self.consent.allows("personalization"):
            self._spawn(
                functools.partial(
                    sync_to_async(decision_log_record),
                    consent=self.consent,
                    decisions=served.result.decisions,
                )
            )
        return True

    async def _send(self, kind: str, **fields: Any) -> None:
        async with self.lock:
            await self._send_locked(kind, **fields)

    async def _send_locked(self, kind: str, **fields: Any) -> None:
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

    def _schedule(self, name: str, delay: float, job: Any) -> None:
        if (timer := self.timers.pop(name, None)) is not None:
            timer.cancel()
        self.timers[name] = asyncio.get_running_loop().call_later(delay, self._spawn, job)

    def _spawn(self, job: Any) -> None:
        task = asyncio.ensure_future(self._run(job))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, job: Any) -> None:
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
        if self.subject_id:
            await self.channel_layer.group_add(
                subject_group_name(self.subject_id), self.channel_name
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
