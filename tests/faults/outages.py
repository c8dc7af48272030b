"""Simulated outages for in-process fault tests; nothing real is ever stopped.

- Redis down: the cache, channel layer, signal store and statistics store are pointed at a port
  on 127.0.0.1 that nothing listens on, so every call fails the way a stopped Redis fails
  (connection refused), while the machine's real Redis keeps serving everyone else.
- PostgreSQL (or SQLite) down: this thread's database connection refuses to connect, raising
  Django's OperationalError exactly where a real unreachable server would, for any query,
  transaction or savepoint; the real server is untouched and the connection comes back after.
"""

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_down(settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Configure this process as in production, with Redis stopped; the dead URL."""
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.SharedPoolRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "tactful",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [url], "prefix": "tactful"},
        }
    }
    settings.TACTFUL = {
        **settings.TACTFUL,
        "SIGNAL_STORE": "personalization.signals.backends.redis.RedisSignalStore",
        "DECISION_STATS_STORE": "personalization.stats.backends.redis.RedisDecisionStatsStore",
    }
    # Backends are made once per process and path: make fresh ones on the dead URL.
    monkeypatch.setattr("personalization.backends._instances", {})
    monkeypatch.setattr("config.health._clients", {})
    return url


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise OperationalError("connection to the database refused (simulated outage)")


@contextmanager
def database_down() -> Iterator[None]:
    """Every database access of this thread fails as if the server were unreachable."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "ensure_connection", _refuse)
        yield
