"""Outcome writes: exposures buffered then flushed, conversions attributed, erasure, the rollup."""

import secrets
import time
from datetime import UTC, datetime

import pytest
import redis

from consent.selectors import ConsentSnapshot
from personalization.engine import Decision, Reason
from personalization.models import EventType
from personalization.outcomes.backends.base import OutcomeStoreError
from personalization.outcomes.backends.redis import KEY_PREFIX, marks_key
from personalization.outcomes.cohorts import Cohort, Kind
from personalization.outcomes.models import CohortDay, GoalDay
from personalization.outcomes.selectors import outcome_visitor
from personalization.outcomes.services import (
    conversions_record,
    exposures_flush,
    exposures_record,
    goal_create,
    outcomes_erase,
    outcomes_rollup,
)

MEASURED = frozenset({"necessary", "measurement"})
NOW = time.time()


def split(variant: str = "on", segment: str | None = None) -> Decision:
    explanation = {"rule": 1, "segment": segment, "experiment": "ship-test"}
    return Decision("banner", True, variant, Reason.SPLIT, True, explanation)


def matched(variant: str = "shoes", segment: str = "mobile") -> Decision:
    explanation = {"rule": 2, "segment": segment, "experiment": None}
    return Decision("hero", "x", variant, Reason.TARGETING_MATCH, True, explanation)


def held_out(variant: str = "shoes", segment: str = "mobile") -> Decision:
    holdout = {"rule": 2, "segment": segment, "experiment": None, "variant": variant}
    return Decision("hero", "d", "default", Reason.DEFAULT, False, {"holdout": holdout})


def plain_default() -> Decision:
    return Decision("hero", "d", "default", Reason.DEFAULT, False, {"rule": None})


def measured(subject: str) -> ConsentSnapshot:
    return ConsentSnapshot(subject_id=subject, purposes={"necessary": True, "measurement": True})


@pytest.fixture
def subject() -> str:
    return secrets.token_urlsafe(16)


def marks(store, subject: str, now: float = NOW) -> set[str]:
    return {m.cohort.key for m in store.marks(outcome_visitor(subject), now=now, window=86400)}


def test_exposures_record__split_match_and_holdout__their_cohorts(configured_store, subject):
    # Given decisions from an experiment, a rule and a holdout served to a measured subject
    decisions = [split(), matched(), held_out(segment="returning")]
    # When they are recorded and flushed
    exposures_record(consent=measured(subject), decisions=decisions, revision=4)
    exposures_flush()
    # Then the subject is marked in the arm, the rules and the placements they were served
    assert marks(configured_store, subject) == {
        Cohort(Kind.ARM, "banner", "ship-test", variant="on").key,
        Cohort(Kind.RULE, "banner", "ship-test").key,
        Cohort(Kind.PLACEMENT, "banner").key,
        Cohort(Kind.RULE, "hero", segment="mobile", variant="shoes").key,
        Cohort(Kind.RULE, "hero", segment="returning", variant="shoes", holdout=True).key,
        Cohort(Kind.PLACEMENT, "hero").key,
        Cohort(Kind.PLACEMENT, "hero", holdout=True).key,
    }


@pytest.mark.parametrize(
    ("subject_id", "granted", "decisions"),
    [
        (None, MEASURED, [split()]),
        ("s", frozenset({"necessary", "personalization"}), [split()]),
        ("s", MEASURED, [plain_default()]),
    ],
    ids=["anonymous", "no-measurement", "plain-default"],
)
def test_exposures_record__nothing_to_measure__nothing_marked(
    configured_store, subject_id, granted, decisions
):
    consent = ConsentSnapshot(subject_id, dict.fromkeys(granted, True))
    exposures_record(consent=consent, decisions=decisions, revision=1)
    exposures_flush()
    assert configured_store.take() == {}


def test_exposures_record__before_the_cadence__pending_then_flushed(
    configured_store, subject, settings
):
    # Given a cadence of 10 s and a first exposure that flushed
    settings.TACTFUL = {**settings.TACTFUL, "OUTCOMES_FLUSH_SECONDS": 10.0}
    exposures_record(consent=measured("first"), decisions=[split()], revision=1, now=NOW)
    configured_store.take()
    # When another decision is recorded 5 s later
    exposures_record(consent=measured(subject), decisions=[split()], revision=1, now=NOW + 5)
    # Then it waits in the process, and goes at the next flush
    assert marks(configured_store, subject) == set()
    exposures_record(consent=measured(subject), decisions=[split()], revision=1, now=NOW + 11)
    assert Cohort(Kind.ARM, "banner", "ship-test", variant="on").key in marks(
        configured_store, subject, now=NOW + 11
    )


def test_exposures_record__hot_path__no_database_query_even_when_flushing(
    configured_store, subject, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        exposures_record(consent=measured(subject), decisions=[split(), held_out()], revision=1)
        assert exposures_flush() is True
    assert len(marks(configured_store, subject)) == 5


def test_exposures_record__store_down__never_raises(configured_store, subject, monkeypatch):
    def down(*args, **kwargs):
        raise OutcomeStoreError("down")

    monkeypatch.setattr(configured_store, "expose", down)
    exposures_record(consent=measured(subject), decisions=[split()], revision=1)
    assert exposures_flush() is False


def test_exposures_flush__store_down__kept_pending_and_sent_later(
    configured_store, subject, monkeypatch
):
    # Given a store that fails once
    real = configured_store.expose
    calls = []

    def failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OutcomeStoreError("down")
        return real(*args, **kwargs)

    monkeypatch.setattr(configured_store, "expose", failing_once)
    # When an exposure is recorded, then flushed again
    exposures_record(consent=measured(subject), decisions=[matched()], revision=1)
    assert exposures_flush() is True
    # Then the second flush delivered it
    assert len(calls) == 2
    assert len(marks(configured_store, subject)) == 2


def consent(subject: str | None, **purposes: bool) -> ConsentSnapshot:
    return ConsentSnapshot(subject_id=subject, purposes={"necessary": True, **purposes})


@pytest.fixture
def purchase_goals(db):
    event = EventType.objects.create(
        key="purchase", properties=["product", "plan"], measures=["revenue"]
    )
    binary = goal_create(key="purchase", name="Purchase", event_type=event)
    pro = goal_create(
        key="pro-purchase",
        name="Pro plan purchase",
        event_type=event,
        filter_property="plan",
        filter_value="Pro",
    )
    value = goal_create(
        key="revenue", name="Revenue", event_type=event, metric="value", value_property="revenue"
    )
    return binary, pro, value


def test_conversions_record__measured_subject__attributed_per_goal(
    configured_store, subject, purchase_goals
):
    # Given a measured subject exposed to arm "on"
    binary, pro, value = purchase_goals
    exposures_record(consent=measured(subject), decisions=[split()], revision=1)
    # When they buy twice (one pro plan) and view nothing else
    events = [
        {"type": "purchase", "properties": {"product": "tent", "revenue": 120.5}},
        {"type": "purchase", "properties": {"plan": "pro", "revenue": 30}},
    ]
    recorded = conversions_record(consent=consent(subject, measurement=True), events=events)
    # Then both events are conversions, and each goal's totals reached the arm
    assert (recorded.counted, recorded.rejected, recorded.measured) == (2, (), True)
    [arm] = [
        m
        for m in configured_store.marks(outcome_visitor(subject), now=time.time(), window=86400)
        if m.cohort.kind is Kind.ARM
    ]
    assert arm.goals == {binary.pk: 1.0, pro.pk: 1.0, value.pk: pytest.approx(150.5)}


def test_conversions_record__bad_events__rejected_with_reasons_others_counted(
    configured_store, subject, purchase_goals
):
    exposures_record(consent=measured(subject), decisions=[split()], revision=1)
    events = [
        {"type": "purchase", "properties": {"revenue": "lots"}},
        {"type": "purchase", "properties": {"revenue": -5}},
        {"type": "purchse"},
        {"type": "purchase", "properties": {"revenue": 10}},
    ]
    recorded = conversions_record(consent=consent(subject, measurement=True), events=events)
    assert recorded.counted == 1
    assert [(r.index, r.code) for r in recorded.rejected] == [
        (0, "invalid_value"),
        (1, "invalid_value"),
        (2, "unknown_type"),
    ]
    assert "revenue must be a number from 0 to" in recorded.rejected[0].message


def test_conversions_record__without_measurement__nothing_counted(
    configured_store, subject, purchase_goals
):
    exposures_record(consent=measured(subject), decisions=[split()], revision=1)
    recorded = conversions_record(
        consent=consent(subject, personalization=True), events=[{"type": "purchase"}]
    )
    assert (recorded.counted, recorded.measured) == (0, False)
    assert all(
        not m.goals
        for m in configured_store.marks(outcome_visitor(subject), now=time.time(), window=86400)
    )


def test_conversions_record__store_down__answered_without_counting(
    configured_store, subject, purchase_goals, monkeypatch
):
    def down(*args, **kwargs):
        raise OutcomeStoreError("down")

    monkeypatch.setattr(configured_store, "convert", down)
    recorded = conversions_record(
        consent=consent(subject, measurement=True), events=[{"type": "purchase"}]
    )
    assert recorded.counted == 1


def test_outcomes_erase__pending_and_stored_marks__gone(configured_store, subject):
    # Given a subject with stored marks and a pending exposure in this process
    exposures_record(consent=measured(subject), decisions=[split()], revision=1)
    exposures_flush()
    exposures_record(consent=measured(subject), decisions=[matched()], revision=1)
    # When they are erased
    erased = outcomes_erase(subject_id=subject)
    exposures_flush()
    # Then nothing of them is left, pending or stored
    assert erased == 3
    assert marks(configured_store, subject, now=time.time()) == set()


def test_exposures__in_redis__neither_key_nor_value_holds_the_subject_id(
    configured_store, subject, purchase_goals, settings
):
    if not settings.REDIS_URL:
        pytest.skip("embedded mode: REDIS_URL is not set, so there is no Redis to test against")
    exposures_record(consent=measured(subject), decisions=[split()], revision=1)
    conversions_record(consent=consent(subject, measurement=True), events=[{"type": "purchase"}])
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = client.keys(f"{KEY_PREFIX}*")
    assert marks_key(outcome_visitor(subject)).encode() in keys
    for key in keys:
        dump = repr(client.hgetall(key) if client.type(key) == b"hash" else client.get(key))
        assert subject not in repr(key) and subject not in dump


def test_outcomes_rollup__aggregates_into_the_database_without_subject(
    configured_store, subject, purchase_goals
):
    # Given two measured subjects in arm "on", one of whom bought for 40
    binary, _, value = purchase_goals
    other = secrets.token_urlsafe(16)
    for who in (subject, other):
        exposures_record(consent=measured(who), decisions=[split()], revision=1)
    conversions_record(
        consent=consent(subject, measurement=True),
        events=[{"type": "purchase", "properties": {"revenue": 40}}],
    )
    # When the aggregates are rolled up (twice: the second finds nothing new)
    outcomes_rollup()
    assert outcomes_rollup() == 0
    # Then the database holds per cohort and day the visitors, converters, sums and squares
    arm = Cohort(Kind.ARM, "banner", "ship-test", variant="on")
    today = datetime.now(UTC).date()
    day = CohortDay.objects.get(cohort__kind="arm", cohort__variant="on")
    assert (day.cohort.as_key(), day.day, day.visitors) == (arm, today, 2)
    revenue = GoalDay.objects.get(cohort=day.cohort, goal=value)
    assert (revenue.converters, revenue.total, revenue.squares) == (1, 40.0, 1600.0)
    assert GoalDay.objects.get(cohort=day.cohort, goal=binary).converters == 1
    # And no column anywhere holds the subject
    rows = [*CohortDay.objects.values(), *GoalDay.objects.values()]
    assert subject not in repr(rows) and outcome_visitor(subject) not in repr(rows)


def test_outcomes_rollup__database_fails__aggregates_kept_for_the_next(
    configured_store, subject, monkeypatch, db
):
    exposures_record(consent=measured(subject), decisions=[split()], revision=1)
    exposures_flush()

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    with monkeypatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr("personalization.outcomes.services._increment", broken)
        outcomes_rollup()
    assert outcomes_rollup() == 3
    assert CohortDay.objects.get(cohort__kind="arm").visitors == 1
