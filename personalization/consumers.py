"""The live decisions websocket, `/ws/v1/decisions` (protocol: `contracts/websocket.md`).

Transport only: the connection, the client's frames and the channel-layer events. Who the socket
serves is `personalization.socket_visitor`; what it serves and pushes, `socket_stream` (through
`personalization.serving`); revisions and lost messages are caught up by the process listener
(`personalization.lifespan`).
"""

import functools
import random
from typing import Any

import orjson
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.http.cookie import parse_cookie

from consent.selectors import ConsentSnapshot
from consent.tokens import SUBJECT_COOKIE, subject_token_read
from personalization import metrics
from personalization.lifespan import follow, unfollow
from personalization.serializers import context_problems
from personalization.signals.selectors import signals_allowed
from personalization.socket_stream import DecisionStream
from personalization.socket_visitor import SocketVisitor
from personalization.sockets import CLOSE_FLOOD, CLOSE_TOO_BIG, SocketJobs, subscribe_problems
from personalization.throttling import MessageBucket


class _Open:
    count = 0


class DecisionConsumer(AsyncJsonWebsocketConsumer):
    """One visitor's socket: the connection, their messages, and the changes they are told of."""

    visitor: SocketVisitor
    stream: DecisionStream

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened = self.released = False
        self.jobs = SocketJobs()

    # What the process listener reads (its `Follower` protocol).

    @property
    def revision(self) -> int:
        return self.stream.revision

    @property
    def consent(self) -> ConsentSnapshot:
        return self.visitor.consent

    # Connection: one way in, one way out ------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Whatever ends the connection (a close, a disconnect, an error), it is released once.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release()

    async def connect(self) -> None:
        tactful = settings.TACTFUL
        headers = dict(self.scope.get("headers", []))
        gpc = headers.get(b"sec-gpc") == b"1"
        self.visitor = SocketVisitor(self.channel_layer, self.channel_name, gpc=gpc)
        self.stream = DecisionStream(self.visitor, send=self.send_json, jobs=self.jobs)
        if _Open.count >= int(tactful["WS_MAX_SOCKETS"]):
            await self.close()  # before accepting: the handshake is refused (HTTP 403)
            return
        self.bucket = MessageBucket(
            rate=float(tactful["WS_MESSAGES_PER_SECOND"]), burst=int(tactful["WS_MESSAGE_BURST"])
        )
        await self.accept()
        self.opened = True
        _Open.count += 1
        metrics.websocket_opened()
        cookies = parse_cookie(headers.get(b"cookie", b"").decode("latin-1"))
        if (token := subject_token_read(cookies.get(SUBJECT_COOKIE))) is not None:
            await self.visitor.identify(token)
        follow(self)
        # The first beat at a random point of the period, so that sockets opened together do
        # not all beat at the same moment.
        period = float(tactful["WS_HEARTBEAT_SECONDS"])
        self.jobs.schedule("heartbeat", period * random.uniform(0.5, 1.0), self._heartbeat)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        if not self.stream.closing:
            self.stream.closing = True
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
        self.jobs.stop()
        if hasattr(self, "visitor"):
            await self.visitor.leave()

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, a thread hop per
        # message that costs more than the push itself; this consumer reaches the database only
        # through threads of its own. Nothing is read once the socket is closing.
        closing = hasattr(self, "stream") and self.stream.closing
        if self.released or (closing and message["type"] != "websocket.disconnect"):
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
            await self.stream.send("pong")
        else:
            await self._error(
                "unknown_type", 'Messages are objects of "type" subscribe, context or ping.'
            )

    async def _subscribe(self, content: dict[str, Any]) -> None:
        if problems := subscribe_problems(content):
            await self._error("invalid_message", "The subscribe message is not valid.", problems)
            return
        token, subject_id = subject_token_read(content.get("token")), self.visitor.subject_id
        if token is not None and subject_id is not None and token.public_id != subject_id:
            await self._error(
                "subject_mismatch", "This connection belongs to another visitor; reconnect."
            )
            return
        if token is not None and subject_id is None:
            await self.visitor.identify(token)
        elif token is not None:
            self.visitor.newer(token)
        await self.visitor.load()
        await self.stream.subscribe(
            placements=content.get("placements"),
            context=content.get("context", self.stream.context),
            resume=content.get("resume"),
        )

    async def _context(self, content: dict[str, Any]) -> None:
        problems = context_problems(content.get("context"))
        if problems or set(content) - {"type", "context"}:
            await self._error("invalid_message", "The context message is not valid.", problems)
        elif not self.stream.subscribed:
            await self._error("subscribe_first", "Subscribe before sending a context.")
        else:
            await self.stream.context_replace(content["context"])

    async def _error(self, code: str, message: str, details: Any = None) -> None:
        fields: dict[str, Any] = {"code": code, "message": message}
        if details:
            fields["details"] = details
        await self.stream.send("error", **fields)

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        return orjson.dumps(content).decode()

    # Channel-layer events (and the process listener) ------------------------------------

    async def revision_published(self, event: dict[str, Any]) -> None:
        """From the process listener, which tells its sockets one after another and lends them
        `shared`, the decisions it has made for anonymous sockets during this round."""
        revision = int(event.get("revision", 0))
        if not self.stream.subscribed or revision <= self.stream.revision:
            return
        if self.stream.lock.locked():
            # Busy (subscribing, say): catch up on its own rather than hold the other sockets.
            self.jobs.spawn(functools.partial(self.stream.refresh, "revision", at_least=revision))
            return
        await self.stream.refresh("revision", at_least=revision, shared=event.get("shared"))

    async def consent_changed(self, event: dict[str, Any]) -> None:
        """The subject's consent or preferences changed (to `version`): read them again."""
        version = int(event.get("version", 0))
        if self.visitor.subject_id is not None and version > self.visitor.consent.version:
            await self.visitor.load(version=version)
            await self.stream.refresh("consent")

    async def signals_changed(self, event: dict[str, Any]) -> None:
        """New events of the subject: their window, and their consent with it, read again (a
        change that raced the events, an erasure say, is seen before anything is pushed)."""
        if self.visitor.subject_id is not None and signals_allowed(self.visitor.consent):
            await self.visitor.load()
            await self.stream.refresh("signals")

    async def subject_erased(self, event: dict[str, Any]) -> None:
        if self.visitor.subject_id is not None:
            await self.visitor.forget()
            await self.stream.refresh("consent")

    async def _heartbeat(self) -> None:
        period = float(settings.TACTFUL["WS_HEARTBEAT_SECONDS"])
        self.jobs.schedule("heartbeat", period, self._heartbeat)
        await self.visitor.stay()
        await self.stream.send("heartbeat")
