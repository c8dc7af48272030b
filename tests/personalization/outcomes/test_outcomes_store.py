"""Outcome store backends: memory always, Redis whenever REDIS_URL is set (and reachable)."""

import secrets
import time

import pytest
import redis

from personalization.outcomes.backends.base import (
    Conversion,
    ConvertedEvent,
    Exposure,
    OutcomeStoreError,
    aggregate_rows,
    day_of,
)
from personalization.outcomes.backends.redis import RedisOutcomeStore, marks_key
from personalization.outcomes.cohorts import Cohort, Kind

WINDOW = 24 * 3600.0
NOW = time.time()
ARM_A = Cohort(Kind.ARM, "hero", "test", variant="a").key
ARM_B = Cohort(Kind.ARM, "hero", "test", variant="b").key
PLACEMENT = Cohort(Kind.PLACEMENT, "hero").key
PURCHASE = Conversion(goal=1, value=1.0, binary=True)


def revenue(value: float) -> Conversion:
    return Conversion(goal=2, value=value, binary=False)


@pytest.fixture
def visitor() -> str:
    # A fresh visitor per test: Redis is shared by every test that runs against it.
    return secrets.token_hex(16)


def exposure(visitor: str, *cohorts: str, at: float = NOW, revision: int = 3) -> Exposure:
    return Exposure(visitor=visitor, at=at, revision=revision, cohorts=cohorts)


def totals(store) -> dict[tuple[str, str, int | None], float]:
    """The pending aggregates summed over days."""
    summed: dict[tuple[str, str, int | None], float] = {}
    for r in aggregate_rows(store.take()):
        summed[r.measure, r.cohort.key, r.goal] = (
            summed.get((r.measure, r.cohort.key, r.goal), 0) + r.amount
        )
    return summed


def test_store__exposed_twice__counted_once_per_cohort(store, visitor):
    # Given a visitor exposed to an arm and its placement, then again to the same
    added = store.expose([exposure(visitor, ARM_A, PLACEMENT)], now=NOW, window=WINDOW)
    again = store.expose([exposure(visitor, ARM_A, at=NOW + 5)], now=NOW + 5, window=WINDOW)
    # Then each cohort counts the visitor once, on the day of the first exposure
    assert (added, again) == (2, 0)
    rows = aggregate_rows(store.take())
    assert {(r.measure, r.cohort.key, r.amount) for r in rows} == {
        ("v", ARM_A, 1),
        ("v", PLACEMENT, 1),
    }
    assert {r.day.isoformat() for r in rows} == {day_of(NOW)}


def test_store__mark_expired__visitor_counts_again(store, visitor):
    # Given an exposure a window ago
    store.expose([exposure(visitor, ARM_A, at=NOW - WINDOW - 1)], now=NOW - WINDOW, window=WINDOW)
    # When the visitor is exposed again now
    assert store.marks(visitor, now=NOW, window=WINDOW) == []
    store.expose([exposure(visitor, ARM_A)], now=NOW, window=WINDOW)
    # Then the old mark is gone and the visitor entered the cohort anew
    assert totals(store) == {("v", ARM_A, None): 2}


def test_store__exposure_older_than_the_window__ignored(store, visitor):
    added = store.expose([exposure(visitor, ARM_A, at=NOW - WINDOW)], now=NOW, window=WINDOW)
    assert added == 0
    assert store.take() == {}


def test_store__binary_goal_converted_twice__one_converter(store, visitor):
    # Given a visitor exposed to arm A
    store.expose([exposure(visitor, ARM_A)], now=NOW, window=WINDOW)
    # When they purchase twice
    first = store.convert(visitor, [ConvertedEvent(NOW + 10, (PURCHASE,))], now=NOW, window=WINDOW)
    second = store.convert(visitor, [ConvertedEvent(NOW + 20, (PURCHASE,))], now=NOW, window=WINDOW)
    # Then they are one converter with the value 1
    assert (first, second) == (1, 0)
    assert totals(store) == {
        ("v", ARM_A, None): 1,
        ("c", ARM_A, 1): 1,
        ("s", ARM_A, 1): 1,
        ("q", ARM_A, 1): 1,
    }


def test_store__value_goal__sums_per_visitor_and_squares_their_total(store, visitor):
    # Given a visitor exposed to arm A who spends 10 and then 5.5
    store.expose([exposure(visitor, ARM_A)], now=NOW, window=WINDOW)
    store.convert(visitor, [ConvertedEvent(NOW + 1, (revenue(10),))], now=NOW, window=WINDOW)
    store.convert(visitor, [ConvertedEvent(NOW + 2, (revenue(5.5),))], now=NOW, window=WINDOW)
    # Then the visitor converted once, their value is 15.5, and the squares add up to 15.5²
    found = totals(store)
    assert found[("c", ARM_A, 2)] == 1
    assert found[("s", ARM_A, 2)] == pytest.approx(15.5)
    assert found[("q", ARM_A, 2)] == pytest.approx(15.5**2)
    assert [m.goals for m in store.marks(visitor, now=NOW, window=WINDOW)] == [{2: 15.5}]


def test_store__conversion_outside_the_window__not_attributed(store, visitor):
    # Given an exposure now
    store.expose([exposure(visitor, ARM_A)], now=NOW, window=WINDOW)
    # When a conversion happened well before it, or a window after it
    before = ConvertedEvent(NOW - 600, (PURCHASE,))
    after = ConvertedEvent(NOW + WINDOW + 1, (PURCHASE,))
    attributed = store.convert(visitor, [before, after], now=NOW, window=WINDOW)
    # Then neither is attributed
    assert attributed == 0
    assert totals(store) == {("v", ARM_A, None): 1}


def test_store__conversion_without_exposure__nothing(store, visitor):
    assert store.convert(visitor, [ConvertedEvent(NOW, (PURCHASE,))], now=NOW, window=WINDOW) == 0
    assert store.take() == {}


def test_store__conversion_attributed_to_every_live_cohort(store, visitor):
    store.expose([exposure(visitor, ARM_B, PLACEMENT)], now=NOW, window=WINDOW)
    attributed = store.convert(
        visitor, [ConvertedEvent(NOW + 1, (PURCHASE, revenue(20)))], now=NOW, window=WINDOW
    )
    assert attributed == 4
    assert {k for k in totals(store) if k[0] == "c"} == {
        ("c", ARM_B, 1),
        ("c", ARM_B, 2),
        ("c", PLACEMENT, 1),
        ("c", PLACEMENT, 2),
    }


def test_store__marks__cohort_time_revision_and_totals(store, visitor):
    store.expose([exposure(visitor, ARM_A, revision=9)], now=NOW, window=WINDOW)
    store.convert(visitor, [ConvertedEvent(NOW + 1, (PURCHASE,))], now=NOW, window=WINDOW)
    [mark] = store.marks(visitor, now=NOW, window=WINDOW)
    assert mark.cohort == Cohort.parse(ARM_A)
    assert mark.exposed_at == pytest.approx(NOW)
    assert mark.revision == 9
    assert mark.goals == {1: 1.0}


def test_store__erase__marks_gone_and_earlier_pending_exposures_ignored(store, visitor):
    # Given a visitor with marks
    store.expose([exposure(visitor, ARM_A, PLACEMENT)], now=NOW, window=WINDOW)
    # When they are erased
    erased = store.erase(visitor, now=NOW + 10)
    # Then their marks are gone, an exposure another process still held from before is
    # ignored, and a later one (a new consent) counts
    assert erased == 2
    assert store.marks(visitor, now=NOW + 10, window=WINDOW) == []
    assert store.expose([exposure(visitor, ARM_A, at=NOW + 5)], now=NOW + 11, window=WINDOW) == 0
    assert store.expose([exposure(visitor, ARM_A, at=NOW + 12)], now=NOW + 12, window=WINDOW) == 1


def test_store__take__empties_and_give_back_restores(store, visitor):
    store.expose([exposure(visitor, ARM_A)], now=NOW, window=WINDOW)
    store.convert(visitor, [ConvertedEvent(NOW, (revenue(2.5),))], now=NOW, window=WINDOW)
    taken = store.take()
    assert store.take() == {}
    store.give_back(taken)
    store.give_back(taken)
    assert store.take() == {field: 2 * amount for field, amount in taken.items()}


def test_redis_store__marks__expire_with_the_window(settings, visitor):
    # Given the Redis store and an exposure
    if not settings.REDIS_URL:
        pytest.skip("embedded mode: REDIS_URL is not set, so there is no Redis to test against")
    RedisOutcomeStore().expose([exposure(visitor, ARM_A)], now=time.time(), window=WINDOW)
    client = redis.Redis.from_url(settings.REDIS_URL)
    # Then the visitor's marks expire by themselves within the window
    assert 0 < client.ttl(marks_key(visitor)) <= WINDOW


def test_redis_store__unreachable__raises_store_error(settings, visitor):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    store = RedisOutcomeStore()
    with pytest.raises(OutcomeStoreError):
        store.expose([exposure(visitor, ARM_A)], now=NOW, window=WINDOW)
    with pytest.raises(OutcomeStoreError):
        store.convert(visitor, [ConvertedEvent(NOW, (PURCHASE,))], now=NOW, window=WINDOW)
    with pytest.raises(OutcomeStoreError):
        store.erase(visitor, now=NOW)
    with pytest.raises(OutcomeStoreError):
        store.take()
