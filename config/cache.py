"""The Redis cache backend with one client (and connection pool) per process, not per request;
and an atomic "raise to at least" that plain cache calls cannot express."""

import threading
from typing import Any

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property

_clients: dict[str, RedisCacheClient] = {}
_clients_lock = threading.Lock()


class SharedRedisCacheClient(RedisCacheClient):
    """Django's cache client, with one `redis.Redis` per connection pool instead of one per call.

    Making a `redis.Redis` fills a table of ~170 reply callbacks each time: `cache.get` took
    240 µs, 145 µs with the client kept (in a loop on one connection). The client is
    thread-safe: each command borrows a connection from the pool.
    """

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._redis_clients: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._redis_clients.get(id(pool))
        if client is None:
            client = self._redis_clients.setdefault(id(pool), redis.Redis(connection_pool=pool))
        return client


class SharedPoolRedisCache(RedisCache):
    """Django's `RedisCache`, whose instances in one process share one client per configuration.

    Django makes a cache instance per async context, that is per ASGI request, and each instance
    made its own connection pool: every request opened a TCP connection to Redis (connect,
    HELLO, SELECT) and dropped it. Sharing the pool took `benchmarks/bench_ingest.py` on
    PostgreSQL + Redis from 0.37x to 0.52x the bare view. redis-py's pool is thread-safe and
    starts afresh in a forked process.
    """

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient
        # Every option is part of the key: two configurations never share a client.
        self._client_key = repr((server, sorted(params.get("OPTIONS", {}).items())))

    @cached_property
    def _cache(self) -> RedisCacheClient:
        client = _clients.get(self._client_key)
        if client is None:
            with _clients_lock:
                if self._client_key not in _clients:
                    client = super()._cache
                    # Django makes the write pool on first use, unlocked: make it here, once.
                    client.get_client(write=True)
                    _clients[self._client_key] = client
                client = _clients[self._client_key]
        return client


# Raise the integer at KEYS[1] to ARGV[1], never lower it; keep it ARGV[2] seconds.
_SET_MAX = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local value = tonumber(ARGV[1])
if value > current then current = value end
redis.call('SET', KEYS[1], current, 'EX', ARGV[2])
return current
"""
_set_max_lock = threading.Lock()


def cache_set_max(key: str, value: int, *, timeout: int) -> int:
    """Raise the integer cached at `key` to `value`, atomically and never lowering it; the value
    now cached. Several processes may publish out of order: the largest always wins."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        # Django stores integers as plain Redis integers, so the script and `cache.get` agree.
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)
        return int(client.eval(_SET_MAX, 1, full_key, value, timeout))
    # One process (the embedded mode's local-memory cache): a lock is enough.
    with _set_max_lock:
        current = max(int(backend.get(key) or 0), value)
        backend.set(key, current, timeout)
        return current
