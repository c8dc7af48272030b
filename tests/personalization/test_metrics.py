"""Decision, event, websocket, push, snapshot and consent metrics, as Prometheus shows them."""

import orjson
import pytest

from consent.services import consent_update, subject_create
from consent.signals import consent_changed
from personalization import metrics, services
from personalization.models import Placement
from personalization.snapshot import snapshot_current
from tests.observability.samples import sample

pytestmark = pytest.mark.django_db


def decide(client, body):
    return client.post("/api/v1/decide", data=orjson.dumps(body), content_type="application/json")


def decisions(placement: str, reason: str, personalized: str) -> float:
    return sample(
        "tactful_decisions_total", placement=placement, reason=reason, personalized=personalized
    )


def test_decide__anonymous_mobile__each_decision_counted_by_placement_reason_personalized(
    client, demo
):
    # Given
    hero = decisions("home-hero", "TARGETING_MATCH", "true")
    recs = decisions("recommendations", "CONSENT_REQUIRED", "false")
    timed = sample("tactful_decision_duration_seconds_count")
    # When an anonymous mobile visitor asks for two placements
    response = decide(
        client, {"placements": ["home-hero", "recommendations"], "context": {"device": "mobile"}}
    )
    # Then each decision is counted under its own labels, and the request timed once
    assert response.status_code == 200
    assert decisions("home-hero", "TARGETING_MATCH", "true") == hero + 1
    assert decisions("recommendations", "CONSENT_REQUIRED", "false") == recs + 1
    assert sample("tactful_decision_duration_seconds_count") == timed + 1


def test_decide__unknown_placement__nothing_counted(client, demo):
    # Given
    timed = sample("tactful_decision_duration_seconds_count")
    # When
    response = decide(client, {"placements": ["nope"]})
    # Then a 400, and no decision was made
    assert response.status_code == 400
    assert sample("tactful_decision_duration_seconds_count") == timed


def test_decide__ofrep__counted_like_the_native_api(client, demo):
    # Given
    before = decisions("recommendations", "CONSENT_REQUIRED", "false")
    # When
    client.post(
        "/ofrep/v1/evaluate/flags/recommendations",
        data=b'{"context": {}}',
        content_type="application/json",
    )
    # Then
    assert decisions("recommendations", "CONSENT_REQUIRED", "false") == before + 1


def test_decide__metrics_and_statistics_on__still_zero_queries(
    client, demo, settings, django_assert_num_queries
):
    # Given statistics flushed on every request, and a warm process
    settings.TACTFUL = {**settings.TACTFUL, "DECISION_STATS_FLUSH_SECONDS": 0.0}
    decide(client, {})
    # When
    with django_assert_num_queries(0):
        response = decide(client, {})
    # Then recording and flushing touched no database
    assert response.status_code == 200


def test_decide__metrics_recording_fails__decision_still_served(client, demo, monkeypatch):
    # Given a statistics store that raises something unexpected
    def broken(*args, **kwargs):
        raise RuntimeError("stats broke")

    monkeypatch.setattr("personalization.serving.decision_stats_record", broken)
    # When
    response = decide(client, {"placements": ["home-hero"]})
    # Then
    assert response.status_code == 200
    assert response.json()["decisions"]["home-hero"]["variant"] == "default"


def test_snapshot_revision__after_publish__gauge_follows(demo, django_capture_on_commit_callbacks):
    # Given
    placement = Placement.objects.get(key="recommendations")
    # When a new revision is published and activated on commit
    with django_capture_on_commit_callbacks(execute=True):
        services.placement_set_enabled(placement=placement, enabled=False)
    # Then the gauge shows the revision this process decides from
    assert sample("tactful_snapshot_revision") == snapshot_current().revision
    assert snapshot_current().revision >= 2


def test_snapshot_revision__fresh_process__set_on_first_load(demo):
    # Given a process that has not loaded a snapshot
    from personalization.snapshot import snapshot_reset

    snapshot_reset()
    metrics.snapshot_revision_set(-1)
    # When it decides for the first time
    revision = snapshot_current().revision
    # Then
    assert sample("tactful_snapshot_revision") == revision >= 1


@pytest.mark.parametrize(
    ("purposes", "kind"),
    [
        ({"necessary": True, "personalization": True, "measurement": True}, "accept_all"),
        ({"necessary": True, "personalization": False, "measurement": False}, "reject_all"),
        ({"necessary": True, "personalization": True, "measurement": False}, "custom"),
    ],
)
def test_consent_changed__announced_state__counted_by_kind(purposes, kind):
    # Given
    before = sample("tactful_consent_changes_total", kind=kind)
    # When consent announces a change that recorded an event
    consent_changed.send(sender=None, subject_id="s1", purposes=purposes, kinds=["grant"])
    # Then
    assert sample("tactful_consent_changes_total", kind=kind) == before + 1


def test_consent_changed__no_events_or_a_retry__not_counted():
    # Given
    before = sample("tactful_consent_changes_total", kind="reject_all")
    # When consent announces a change without events (a rebuild, a retried reaction)
    consent_changed.send(sender=None, subject_id="s1", purposes={"necessary": True}, kinds=())
    # Then it is not counted (again)
    assert sample("tactful_consent_changes_total", kind="reject_all") == before


def test_consent_changed__sender_lists_event_kinds__counted_by_kind():
    # Given
    withdraw = sample("tactful_consent_events_total", kind="withdraw")
    grant = sample("tactful_consent_events_total", kind="grant")
    # When consent announces a change made of a withdrawal and a grant
    consent_changed.send(
        sender=None, subject_id="s1", purposes={"necessary": True}, kinds=["withdraw", "grant"]
    )
    # Then
    assert sample("tactful_consent_events_total", kind="withdraw") == withdraw + 1
    assert sample("tactful_consent_events_total", kind="grant") == grant + 1


def test_consent_changed__real_write__counted_after_commit(django_capture_on_commit_callbacks):
    # Given
    before = sample("tactful_consent_changes_total", kind="custom")
    # When a visitor grants one purpose of several
    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": True}, source="api")
    # Then
    assert sample("tactful_consent_changes_total", kind="custom") == before + 1


def test_events_counted__accepted_and_dropped__counted_by_reason():
    # Given
    accepted = sample("tactful_events_accepted_total")
    dropped = sample("tactful_events_dropped_total", reason="CONSENT_REQUIRED")
    # When
    metrics.events_counted(accepted=4)
    metrics.events_counted(dropped=3, reason="CONSENT_REQUIRED")
    # Then
    assert sample("tactful_events_accepted_total") == accepted + 4
    assert sample("tactful_events_dropped_total", reason="CONSENT_REQUIRED") == dropped + 3


def test_labels__hostile_values__collapse_into_other():
    # Given
    before = sample("tactful_events_dropped_total", reason="other")
    push = sample("tactful_push_latency_seconds_count", cause="other")
    # When values no code would send arrive
    metrics.events_counted(dropped=1, reason="x" * 500)
    metrics.events_counted(dropped=1, reason="drop table; --")
    metrics.push_latency_observe(0.01, cause="made-up")
    # Then they never become new series
    assert sample("tactful_events_dropped_total", reason="other") == before + 2
    assert sample("tactful_push_latency_seconds_count", cause="other") == push + 1


def test_websockets__opened_and_closed__gauge_and_counter():
    # Given
    open_now = sample("tactful_websockets_open")
    opened = sample("tactful_websockets_opened_total")
    # When two open and one closes
    metrics.websocket_opened()
    metrics.websocket_opened()
    metrics.websocket_closed()
    # Then
    assert sample("tactful_websockets_open") == open_now + 1
    assert sample("tactful_websockets_opened_total") == opened + 2
    metrics.websocket_closed()


def test_push_latency__observed__histogram_by_cause():
    # Given
    before = sample("tactful_push_latency_seconds_count", cause="revision")
    fast = sample("tactful_push_latency_seconds_bucket", cause="revision", le="0.025")
    # When
    metrics.push_latency_observe(0.02, cause="revision")
    # Then
    assert sample("tactful_push_latency_seconds_count", cause="revision") == before + 1
    assert sample("tactful_push_latency_seconds_bucket", cause="revision", le="0.025") == fast + 1


def test_consent_event_counted__known_and_unknown_kinds():
    # Given
    withdraw = sample("tactful_consent_events_total", kind="withdraw")
    # When
    metrics.consent_event_counted("withdraw")
    metrics.consent_event_counted("whatever")
    # Then
    assert sample("tactful_consent_events_total", kind="withdraw") == withdraw + 1
    assert sample("tactful_consent_events_total", kind="other") >= 1
