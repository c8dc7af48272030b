"""The events rate limit: a fixed window per subject, in the in-process cache or in Redis."""

import hashlib
import time
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.views import APIView

from config.throttling import address_hash
from consent.tokens import subject_token_sign
from personalization.throttling import EventsRateThrottle

CACHES: dict[str, dict[str, Any]] = {
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "redis": {
        "BACKEND": "config.cache.SharedPoolRedisCache",
        "KEY_PREFIX": "tactful",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    },
}


def use_cache(name: str, settings) -> str:
    if name == "redis" and not settings.REDIS_URL:
        pytest.skip("embedded mode: REDIS_URL is not set, so there is no Redis to test against")
    settings.CACHES = {"default": {**CACHES[name], "LOCATION": settings.REDIS_URL}}
    caches["default"].clear()
    return name


@pytest.fixture(params=sorted(CACHES))
def backend(request, settings) -> str:
    return use_cache(request.param, settings)


def events_request(public_id: str) -> Request:
    token = subject_token_sign(public_id)
    return Request(RequestFactory().post("/api/v1/events", HTTP_X_TACTFUL_SUBJECT=token))


def test_rate_limit__within_the_limit__allowed_then_refused_with_retry_after(backend, settings):
    # Given a limit of 3 requests per minute
    settings.TACTFUL = {
        **settings.TACTFUL,
        "EVENTS_RATE_LIMIT": 3,
        "EVENTS_RATE_WINDOW_SECONDS": 60,
    }
    request = events_request(f"throttle-{backend}-{time.time_ns()}")
    # When one subject sends 4 requests
    throttles = [EventsRateThrottle() for _ in range(4)]
    allowed = [throttle.allow_request(request, APIView()) for throttle in throttles]
    # Then the first 3 pass and the 4th waits for the next window
    assert allowed == [True, True, True, False]
    assert throttles[2].wait() is None
    assert 1 <= (throttles[3].wait() or 0) <= 60


def test_rate_limit__redis_counter__expires_after_its_window(settings):
    # Given the Redis cache and a window of 30 seconds
    use_cache("redis", settings)
    settings.TACTFUL = {**settings.TACTFUL, "EVENTS_RATE_WINDOW_SECONDS": 30}
    public_id = f"throttle-ttl-{time.time_ns()}"
    # When a subject sends a first and a second request
    for _ in range(2):
        EventsRateThrottle().allow_request(events_request(public_id), APIView())
    # Then its counter holds 2 and is gone a little after the window (no counter outlives it)
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    client = cache._cache.get_client()
    [key] = [k for k in client.keys("*throttle*") if public_id.encode() in k]
    assert client.get(key) == b"2"
    assert 0 < client.ttl(key) <= 31


def test_address_hash__same_address__keyed_by_the_secret_and_never_the_address(settings):
    # Given one client address
    request = RequestFactory().post("/api/v1/events", REMOTE_ADDR="203.0.113.7")
    # When it is hashed under two secrets
    first = address_hash(request)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    second = address_hash(request)
    # Then the counter key depends on the server's secret (no table of IPv4 hashes reverses it)
    # and holds nothing of the address
    assert first != second
    assert "203.0.113.7" not in first
    assert first != hashlib.blake2b(b"203.0.113.7", digest_size=12).hexdigest()
