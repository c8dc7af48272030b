"""The Redis cache backend: one client and connection pool per process and configuration."""

import contextvars

from django.conf import settings

from config.cache import SharedPoolRedisCache

# Nothing listens here, and nothing connects: making clients and pools opens no connection.
URL = "redis://127.0.0.1:9/3"
OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def backend(**options: float) -> SharedPoolRedisCache:
    return SharedPoolRedisCache(URL, {"KEY_PREFIX": "tactful", "OPTIONS": options or OPTIONS})


def test_redis_cache__one_instance_per_request__share_one_client_and_pool():
    # Given two cache instances, as Django makes for two requests (one per async context)
    first = contextvars.Context().run(backend)
    second = contextvars.Context().run(backend)
    # When each asks for its Redis client
    client = first._cache.get_client("k", write=True)
    # Then both use one client, and so one connection pool, for reads and writes alike
    assert first is not second
    assert first._cache is second._cache
    assert second._cache.get_client("other") is client
    assert client.connection_pool is second._cache.get_client("k", write=True).connection_pool


def test_redis_cache__other_options__a_client_of_their_own():
    # Given a configuration with another timeout
    usual, patient = backend(), backend(socket_connect_timeout=5, socket_timeout=5)
    # When both are used
    # Then neither borrows the other's client (timeouts belong to the pool's connections)
    pools = [cache._cache.get_client().connection_pool for cache in (usual, patient)]
    assert usual._cache is not patient._cache
    assert pools[0] is not pools[1]


def test_redis_cache__settings_with_redis__use_the_shared_backend():
    # Given the settings module read with REDIS_URL set (as in scale-out)
    # When the cache backend is configured
    backend_path = str(settings.CACHES["default"]["BACKEND"])
    # Then a Redis cache is the shared one, and the embedded mode keeps the in-process cache
    if settings.REDIS_URL:
        assert backend_path == "config.cache.SharedPoolRedisCache"
    else:
        assert backend_path.endswith("LocMemCache")
