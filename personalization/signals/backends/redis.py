"""Redis signal store for scale-out: one sorted set per subject, scored by time, with a TTL."""

import asyncio
import secrets
import time
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import redis
import redis.asyncio
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from personalization.signals.backends.base import BaseSignalStore, SignalStoreError
from personalization.signals.windows import Retention, SignalEvent, SignalWindow

KEY_PREFIX = "tactful:signals:"
# A decision waits for the store at most this long before it is made without signals.
TIMEOUT_SECONDS = 0.5


def _key(subject_id: str) -> str:
    return KEY_PREFIX + subject_id


def _member(event: SignalEvent) -> bytes:
    # The nonce keeps two identical events at the same instant from collapsing into one member.
    return orjson.dumps([event.type, event.properties, secrets.token_hex(6)])


def _window(rows: Iterable[Any], retention: Retention) -> SignalWindow:
    try:
        events = []
        for member, score in rows:
            event_type, properties, _ = orjson.loads(member)
            events.append(SignalEvent(type=event_type, properties=properties, ts=float(score)))
    except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
        raise SignalStoreError("unreadable signal window") from exc
    return SignalWindow(events=tuple(events), retention=retention)


class RedisSignalStore(BaseSignalStore):
    """Per subject a sorted set `tactful:signals:<id>`: member = event, score = its time.

    A write adds, trims what left the horizon, keeps the newest `max_events` and sets the TTL
    to `linger` (≤ 24 h), all in one MULTI; a read is one ZRANGE over the horizon.
    """

    def __init__(self) -> None:
        url = settings.REDIS_URL
        if not url:
            raise ImproperlyConfigured("The Redis signal store needs REDIS_URL.")
        self._url = url
        self._client = redis.Redis.from_url(
            url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS
        )
        # redis.asyncio connections belong to the event loop that opened them.
        self._aclients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis]
        self._aclients = weakref.WeakKeyDictionary()

    def _aclient(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        client = self._aclients.get(loop)
        if client is None:
            client = redis.asyncio.Redis.from_url(
                self._url,
                socket_connect_timeout=TIMEOUT_SECONDS,
                socket_timeout=TIMEOUT_SECONDS,
            )
            self._aclients[loop] = client
        return client

    def _record_commands(
        self, pipe: Any, subject_id: str, events: Sequence[SignalEvent], retention: Retention
    ) -> None:
        key = _key(subject_id)
        pipe.zadd(key, {_member(event): event.ts for event in events})
        pipe.zremrangebyscore(key, "-inf", f"({time.time() - retention.horizon}")
        pipe.zremrangebyrank(key, 0, -(retention.max_events + 1))
        pipe.expire(key, retention.linger)

    def _range_args(self, retention: Retention) -> tuple[str, str]:
        return f"({time.time() - retention.horizon}", "+inf"

    def record(self, subject_id: str, events: Sequence[SignalEvent]) -> None:
        if not events:
            return
        try:
            with self._client.pipeline(transaction=True) as pipe:
                self._record_commands(pipe, subject_id, events, self.retention)
                pipe.execute()
        except redis.RedisError as exc:
            raise SignalStoreError(str(exc)) from exc

    def window(self, subject_id: str) -> SignalWindow:
        retention = self.retention
        try:
            rows = self._client.zrange(
                _key(subject_id), *self._range_args(retention), byscore=True, withscores=True
            )
        except redis.RedisError as exc:
            raise SignalStoreError(str(exc)) from exc
        return _window(rows, retention)

    def delete(self, subject_id: str) -> int:
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.zcard(_key(subject_id))
                pipe.delete(_key(subject_id))
                count, _ = pipe.execute()
        except redis.RedisError as exc:
            raise SignalStoreError(str(exc)) from exc
        return int(count)

    async def arecord(self, subject_id: str, events: Sequence[SignalEvent]) -> None:
        if not events:
            return
        try:
            async with self._aclient().pipeline(transaction=True) as pipe:
                self._record_commands(pipe, subject_id, events, self.retention)
                await pipe.execute()
        except redis.RedisError as exc:
            raise SignalStoreError(str(exc)) from exc

    async def awindow(self, subject_id: str) -> SignalWindow:
        retention = self.retention
        try:
            rows = await self._aclient().zrange(
                _key(subject_id), *self._range_args(retention), byscore=True, withscores=True
            )
        except redis.RedisError as exc:
            raise SignalStoreError(str(exc)) from exc
        return _window(rows, retention)

    async def adelete(self, subject_id: str) -> int:
        try:
            async with self._aclient().pipeline(transaction=True) as pipe:
                pipe.zcard(_key(subject_id))
                pipe.delete(_key(subject_id))
                count, _ = await pipe.execute()
        except redis.RedisError as exc:
            raise SignalStoreError(str(exc)) from exc
        return int(count)
