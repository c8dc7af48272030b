"""The dashboard's k counts distinct visitors: memory store always, Redis whenever REDIS_URL is set
(and must be reachable)."""

import time
from collections.abc import Iterator

import pytest
import redis

from personalization.engine import Decision, Reason
from personalization.stats.backends.base import (
    BUCKET_SECONDS,
    RETENTION_SECONDS,
    BaseDecisionStatsStore,
    DecisionStatsError,
)
from personalization.stats.backends.memory import MemoryDecisionStatsStore
from personalization.stats.backends.redis import KEY_PREFIX, RedisDecisionStatsStore, visitors_key
from personalization.stats.selectors import outcome_report
from personalization.stats.services import (
    decision_stats_flush,
    decision_stats_record,
    decision_stats_reset,
    visitor_hash,
)
from personalization.stats.store import decision_stats_store

pytestmark = pytest.mark.django_db

BACKENDS = {
    "memory": "personalization.stats.backends.memory.MemoryDecisionStatsStore",
    "redis": "personalization.stats.backends.redis.RedisDecisionStatsStore",
}
# Mid-bucket, so that "now" and its neighbours fall in known slices.
NOW = (time.time() // 3600) * 3600 + 30 * 60 + 10
BUCKET = int(NOW // BUCKET_SECONDS) * BUCKET_SECONDS
# Fixed, with fixed subject ids: Redis's HyperLogLog estimate of a set near k may come out one
# low (two hashes sharing a register), which is then the same on every run.
SECRET_KEY = "stats-test-secret-key-" + "k" * 40


def _use(backend: str, settings, monkeypatch) -> Iterator[BaseDecisionStatsStore]:
    if backend == "redis" and not settings.REDIS_URL:
        pytest.skip("embedded mode: REDIS_URL is not set, so there is no Redis to test against")
    settings.TACTFUL = {
        **settings.TACTFUL,
        "DECISION_STATS_STORE": BACKENDS[backend],
        "REPORT_MIN_GROUP": 50,
    }
    settings.SECRET_KEY = SECRET_KEY
    monkeypatch.setattr("personalization.backends._instances", {})
    decision_stats_reset()
    yield decision_stats_store()
    decision_stats_reset()


@pytest.fixture(params=sorted(BACKENDS))
def store(request, settings, monkeypatch) -> Iterator[BaseDecisionStatsStore]:
    yield from _use(request.param, settings, monkeypatch)


@pytest.fixture
def redis_store(settings, monkeypatch) -> Iterator[BaseDecisionStatsStore]:
    yield from _use("redis", settings, monkeypatch)


def subjects(n: int, prefix: str = "visitor") -> list[str]:
    return [f"{prefix}-{index:03d}" for index in range(n)]


def decide(
    subject_id: str | None,
    *,
    times: int = 1,
    at: float = NOW,
    reason: Reason = Reason.TARGETING_MATCH,
    key: str = "home-hero",
) -> None:
    personalized = reason in (Reason.TARGETING_MATCH, Reason.SPLIT)
    decision = Decision(key=key, value=None, variant="v", reason=reason, personalized=personalized)
    for _ in range(times):
        decision_stats_record([decision], subject_id=subject_id, now=at)


def hero():
    report = outcome_report(placements=["home-hero"], now=NOW)
    return next(p for p in report.placements if p.placement == "home-hero")


def test_report__60_decisions_from_3_visitors__suppressed(store):
    # Given three visitors who reloaded the page 20 times each
    for subject_id in subjects(3):
        decide(subject_id, times=20)
    # When
    report = hero()
    # Then 60 decisions are not 60 visitors: nothing is shown
    assert report.hour.suppressed and report.day.suppressed
    assert report.hour.total is None and report.hour.shares is None
    assert all(s.suppressed for s in (*report.hour_slices, *report.day_slices))


def test_report__50_distinct_visitors__shown(store):
    # Given exactly k visitors, one decision each
    for subject_id in subjects(50):
        decide(subject_id)
    # When
    report = hero()
    # Then
    assert report.hour.total == 50
    assert report.hour.shares == {
        "personalized": 100.0,
        "default": 0.0,
        "consent_required": 0.0,
        "error": 0.0,
    }
    assert report.day.total == 50
    assert report.hour_slices[-1].total == 50


def test_report__49_visitors_with_many_decisions__suppressed(store):
    # Given one visitor short of k, with plenty of decisions
    for subject_id in subjects(49):
        decide(subject_id, times=3)
    # When / Then
    assert hero().hour.suppressed


def test_report__visitor_in_many_slices__counted_once_per_window(store):
    # Given 30 visitors seen in each of the hour's 12 slices (360 decisions)
    regulars = subjects(30)
    starts = [NOW - n * BUCKET_SECONDS for n in range(12)]
    for at in starts:
        for subject_id in regulars:
            decide(subject_id, at=at)
    # Then the hour holds 30 visitors, not 360
    assert hero().hour.suppressed
    # When 20 new visitors come, 10 in each of two slices
    newcomers = subjects(20, "newcomer")
    for subject_id in newcomers[:10]:
        decide(subject_id, at=starts[3])
    for subject_id in newcomers[10:]:
        decide(subject_id, at=starts[7])
    # Then the hour (the union of its slices) reaches 50 and is shown; no slice alone is
    report = hero()
    assert report.hour.total == 380
    assert all(s.suppressed for s in report.hour_slices)


def test_report__anonymous_decisions__never_lift_subjects_over_k(store):
    # Given 49 visitors and 100 decisions without a consent subject, in one group
    for subject_id in subjects(49):
        decide(subject_id)
    decide(None, times=100, reason=Reason.CONSENT_REQUIRED)
    # When / Then the anonymous decisions cannot hide the few subjects' outcomes
    assert hero().hour.suppressed
    # When one more visitor comes, the whole group is shown, anonymous decisions included
    decide("one-more")
    shown = hero().hour
    assert shown.total == 150
    assert shown.shares is not None
    assert shown.shares["consent_required"] == round(100 * 100 / 150, 1)


def test_report__anonymous_decisions_only__shown_from_k_decisions(store):
    # Given a slice of 49 anonymous decisions and one of 50
    decide(None, times=49, at=NOW - BUCKET_SECONDS)
    decide(None, times=50, reason=Reason.DEFAULT)
    # When
    report = hero()
    # Then only the slice with k of them is shown
    assert [s.total for s in report.hour_slices[-2:]] == [None, 50]
    assert report.hour.total == 99


def test_store__holds_keyed_hashes__never_a_subject_id(store, settings):
    # Given one visitor's decision, flushed
    subject_id = "visitor-with-a-recognizable-id"
    decide(subject_id)
    assert decision_stats_flush(now=NOW)
    # Then the store counts the visitor...
    assert store.distinct_visitors([[(BUCKET, "home-hero")]]) == [1]
    # ...under a hash that needs the server's secret to compute, and never its id
    if isinstance(store, RedisDecisionStatsStore):
        client = redis.Redis.from_url(settings.REDIS_URL)
        names = list(client.scan_iter(match=f"{KEY_PREFIX}*"))
        assert names and all(subject_id.encode() not in name for name in names)
        for name in names:
            value = client.get(name) if client.type(name) == b"string" else b""
            assert isinstance(value, bytes) and subject_id.encode() not in value
        # Adding the visitor's hash again changes nothing: that hash is what it holds
        assert client.pfadd(visitors_key(BUCKET, "home-hero"), visitor_hash(subject_id)) == 0
    else:
        assert isinstance(store, MemoryDecisionStatsStore)
        assert store._visitors[(BUCKET, "home-hero")] == {visitor_hash(subject_id)}
    assert subject_id.encode() not in visitor_hash(subject_id)


def test_visitor_hash__another_secret_key__another_hash(settings):
    # Given a subject id hashed under the server's secret
    subject_id = "visitor-000"
    before = visitor_hash(subject_id)
    # When the secret differs
    settings.SECRET_KEY = "another-secret-" + "x" * 40
    # Then the hash cannot be recomputed without it
    assert visitor_hash(subject_id) != before
    assert len(before) == 16


def test_flush__store_down__visitors_kept_and_delivered_later(store, monkeypatch):
    # Given a store that fails once
    real_add = store.add
    calls = []

    def flaky(counts, visitors=None):
        calls.append(counts)
        if len(calls) == 1:
            raise DecisionStatsError("down")
        real_add(counts, visitors)

    monkeypatch.setattr(store, "add", flaky)
    # When the first flush fails, and a later one succeeds
    for subject_id in subjects(50):
        decide(subject_id)
    assert len(calls) == 1
    assert decision_stats_flush(now=NOW) is True
    # Then neither the counts nor the visitors were lost
    assert hero().hour.total == 50


def test_pending_and_store__keep_at_most_k_visitors_per_group(store, settings):
    # Given k = 5 and 40 distinct visitors in one slice
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 5}
    decision_stats_flush(now=NOW)
    for subject_id in subjects(40):
        decide(subject_id)
    # When they are flushed together
    assert decision_stats_flush(now=NOW)
    # Then the group is known to reach k, and no more than k hashes were kept for it
    assert store.distinct_visitors([[(BUCKET, "home-hero")]]) == [5]
    assert hero().hour.total == 40


def test_redis_store__visitors_expire_with_the_counts(redis_store, settings):
    # Given a flushed decision of a visitor
    decide("visitor-000")
    assert decision_stats_flush(now=NOW)
    # When / Then its HyperLogLog and the bucket's counts expire after the same retention
    client = redis.Redis.from_url(settings.REDIS_URL)
    counts_ttl = client.ttl(f"{KEY_PREFIX}{BUCKET}")
    visitors_ttl = client.ttl(visitors_key(BUCKET, "home-hero"))
    assert client.type(visitors_key(BUCKET, "home-hero")) == b"string"
    assert RETENTION_SECONDS - 60 < visitors_ttl <= RETENTION_SECONDS
    assert abs(counts_ttl - visitors_ttl) <= 1


def test_report__visitors_unreadable__groups_of_subjects_suppressed(store, monkeypatch):
    # Given visitors counted, then the store stops answering
    for subject_id in subjects(50):
        decide(subject_id)
    decision_stats_flush(now=NOW)

    def down(*args, **kwargs):
        raise DecisionStatsError("down")

    monkeypatch.setattr(store, "distinct_visitors", down)
    # When / Then groups of subjects are suppressed, and the report says the store is down
    report = outcome_report(placements=["home-hero"], now=NOW)
    assert report.available is False
    assert report.placements[0].hour.suppressed
