"""Fixtures for the outcome tests: a fresh outcome store (memory, or Redis when REDIS_URL is set)
and no exposures pending from another test."""

from collections.abc import Iterator

import pytest
import redis

from personalization.outcomes.backends.base import BaseOutcomeStore
from personalization.outcomes.backends.redis import AGGREGATES_KEY
from personalization.outcomes.selectors import goals_forget
from personalization.outcomes.services import exposures_reset
from personalization.outcomes.store import outcome_store
from personalization.signals.taxonomy import event_taxonomy_forget

BACKENDS = {
    "memory": "personalization.outcomes.backends.memory.MemoryOutcomeStore",
    "redis": "personalization.outcomes.backends.redis.RedisOutcomeStore",
}


def use_store(backend: str, settings, monkeypatch) -> Iterator[BaseOutcomeStore]:
    """A store of `backend` for this test alone: process memory afresh, Redis's pending
    aggregates emptied (marks are per visitor, and visitors are fresh per test)."""
    if backend == "redis":
        if not settings.REDIS_URL:
            pytest.skip("embedded mode: REDIS_URL is not set, so there is no Redis to test against")
        redis.Redis.from_url(settings.REDIS_URL).delete(AGGREGATES_KEY)
    settings.TACTFUL = {**settings.TACTFUL, "OUTCOME_STORE": BACKENDS[backend]}
    monkeypatch.setattr("personalization.backends._instances", {})
    exposures_reset()
    goals_forget()
    event_taxonomy_forget()
    yield outcome_store()
    exposures_reset()
    goals_forget()
    event_taxonomy_forget()


@pytest.fixture(params=sorted(BACKENDS))
def store(request, settings, monkeypatch) -> Iterator[BaseOutcomeStore]:
    """Each backend in turn."""
    yield from use_store(request.param, settings, monkeypatch)


@pytest.fixture(autouse=True)
def configured_store(settings, monkeypatch) -> Iterator[BaseOutcomeStore]:
    """The backend the settings pick (Redis when REDIS_URL is set, else memory), for every
    outcome test."""
    backend = "redis" if settings.REDIS_URL else "memory"
    yield from use_store(backend, settings, monkeypatch)
