"""The marketer's dashboard: outcome shares per placement (groups under k hidden), revisions."""

import os
import time

import orjson
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign
from personalization import services
from personalization.dashboard import CHART_HEIGHT, chart_bars
from personalization.engine import Decision, Reason
from personalization.history import revision_changes
from personalization.models import Placement
from personalization.stats.backends.base import BUCKET_SECONDS, DecisionStatsError
from personalization.stats.selectors import outcome_report
from personalization.stats.services import (
    decision_stats_flush,
    decision_stats_record,
    decision_stats_reset,
)
from personalization.stats.store import decision_stats_store

pytestmark = pytest.mark.django_db

# Mid-bucket, so that "now" and its neighbours fall in known slices.
NOW = (time.time() // 3600) * 3600 + 30 * 60 + 10


@pytest.fixture(autouse=True)
def _fresh_stats(monkeypatch):
    monkeypatch.setattr("personalization.backends._instances", {})
    decision_stats_reset()
    yield
    decision_stats_reset()


def made(reason: Reason, personalized: bool = False, key: str = "home-hero") -> Decision:
    return Decision(key=key, value=None, variant="v", reason=reason, personalized=personalized)


def record(decision: Decision, times: int, at: float = NOW) -> None:
    for _ in range(times):
        decision_stats_record([decision], now=at)


def report_for(placement: str, k: int = 50):
    report = outcome_report(placements=[placement], now=NOW, k=k)
    return next(p for p in report.placements if p.placement == placement)


def test_report__group_of_49__not_shown_at_all():
    # Given 49 decisions in the last hour
    record(made(Reason.TARGETING_MATCH, True), 49)
    # When
    hero = report_for("home-hero")
    # Then neither the hour nor the day shows a count or a share
    assert hero.hour.suppressed and hero.hour.total is None and hero.hour.shares is None
    assert hero.day.suppressed
    assert all(s.suppressed for s in hero.hour_slices)


def test_report__group_of_50__shares_shown():
    # Given exactly k decisions
    record(made(Reason.TARGETING_MATCH, True), 50)
    # When
    hero = report_for("home-hero")
    # Then
    assert hero.hour.total == 50
    assert hero.hour.shares == {
        "personalized": 100.0,
        "default": 0.0,
        "consent_required": 0.0,
        "error": 0.0,
    }
    assert hero.day.total == 50


def test_report__every_reason__lands_in_its_outcome():
    # Given 100 decisions of every kind
    record(made(Reason.TARGETING_MATCH, True), 40)
    record(made(Reason.SPLIT, True), 20)
    record(made(Reason.DEFAULT), 15)
    record(made(Reason.DISABLED), 5)
    record(made(Reason.CONSENT_REQUIRED), 12)
    record(made(Reason.ERROR), 8)
    # When
    shares = report_for("home-hero").hour.shares
    # Then
    assert shares == {"personalized": 60.0, "default": 20.0, "consent_required": 12.0, "error": 8.0}


def test_report__slices__hour_by_5_minutes_day_by_hour():
    # Given 60 decisions now, and 60 three hours ago
    record(made(Reason.DEFAULT), 60)
    record(made(Reason.ERROR), 60, at=NOW - 3 * 3600)
    # When
    hero = report_for("home-hero")
    # Then the hour sees only the recent ones, in its last 5-minute slice; the day sees both
    assert hero.hour.total == 60
    assert len(hero.hour_slices) == 12 and len(hero.day_slices) == 24
    assert [s.total for s in hero.hour_slices][-1] == 60
    assert hero.hour_slices[-1].start.timestamp() == NOW - NOW % BUCKET_SECONDS
    assert hero.day.total == 120
    assert hero.day.shares == {
        "personalized": 0.0,
        "default": 50.0,
        "consent_required": 0.0,
        "error": 50.0,
    }
    shown = [s for s in hero.day_slices if not s.suppressed]
    assert [s.total for s in shown] == [60, 60]


def test_report__older_than_a_day__left_out():
    # Given 60 decisions 25 hours ago
    record(made(Reason.DEFAULT), 60, at=NOW - 25 * 3600)
    # When
    hero = report_for("home-hero")
    # Then
    assert hero.day.suppressed


def test_report__placement_without_decisions__listed_and_hidden():
    report = outcome_report(placements=["quiet"], now=NOW, k=50)
    assert [p.placement for p in report.placements] == ["quiet"]
    assert report.placements[0].day.suppressed


def test_flush__store_down__counts_kept_and_delivered_later(monkeypatch):
    # Given a store that fails once
    store = decision_stats_store()
    real_add = store.add
    calls = []

    def flaky(counts, visitors=None):
        calls.append(counts)
        if len(calls) == 1:
            raise DecisionStatsError("down")
        real_add(counts, visitors)

    monkeypatch.setattr(store, "add", flaky)
    # When the first decision's flush fails, and a later flush succeeds
    record(made(Reason.DEFAULT), 50)
    assert len(calls) == 1
    assert decision_stats_flush(now=NOW) is True
    # Then nothing was lost
    assert report_for("home-hero").hour.total == 50


def test_store__two_processes_flush__counts_add_up():
    # Given two processes' flushes of the same bucket (the store only ever adds)
    store = decision_stats_store()
    bucket = int(NOW // BUCKET_SECONDS) * BUCKET_SECONDS
    store.add({(bucket, "home-hero"): {"default": 30}})
    store.add({(bucket, "home-hero"): {"default": 25, "error": 5}})
    # When
    counts = store.read(since=bucket, until=bucket + BUCKET_SECONDS)
    # Then
    assert counts == {(bucket, "home-hero"): {"default": 55, "error": 5}}


def test_store__configured_backend__follows_redis_url():
    name = type(decision_stats_store()).__name__
    expected = (
        "RedisDecisionStatsStore" if os.environ.get("REDIS_URL") else "MemoryDecisionStatsStore"
    )
    assert name == expected


def test_revision_changes__documents__added_removed_changed_by_section():
    before = {"placements": {"a": {"x": 1}, "b": {}}, "segments": {"s": {}}}
    after = {"placements": {"a": {"x": 2}, "c": {}}, "segments": {"s": {}}, "experiments": {}}
    changes = revision_changes(before, after)
    assert [(c.section, c.added, c.removed, c.changed) for c in changes] == [
        ("placements", ("c",), ("b",), ("a",))
    ]


def test_chart_bars__suppressed_and_shown_slices():
    # Given one slice under k and one over it
    record(made(Reason.DEFAULT), 10, at=NOW - BUCKET_SECONDS)
    record(made(Reason.DEFAULT), 30)
    record(made(Reason.ERROR), 30)
    slices = report_for("home-hero").hour_slices[-2:]
    # When
    bars = chart_bars(slices, k=50)
    # Then the small group is one grey bar without figures; the other stacks to full height
    grey = [b for b in bars if b.outcome == "suppressed"]
    assert len(grey) == 1 and "10" not in grey[0].title
    shown = [b for b in bars if b.outcome != "suppressed"]
    assert [b.outcome for b in shown] == ["default", "error"]
    assert sum(b.height for b in shown) == CHART_HEIGHT


def decide(client, body, token=""):
    headers = {"X-Tactful-Subject": token} if token else {}
    return client.post(
        "/api/v1/decide", data=orjson.dumps(body), content_type="application/json", headers=headers
    )


def test_dashboard__served_decisions__shares_and_history_for_the_marketer(
    client, admin_client, demo, settings, django_capture_on_commit_callbacks
):
    # Given k = 3, three mobile visitors, and a marketer's later change
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 3}
    for _ in range(3):
        decide(client, {"placements": ["home-hero"], "context": {"device": "mobile"}})
    decide(client, {"placements": ["recommendations"]})
    user = get_user_model().objects.get(username="admin")
    with django_capture_on_commit_callbacks(execute=True):
        services.placement_set_enabled(
            placement=Placement.objects.get(key="recommendations"), enabled=False, author=user
        )
    # When the marketer opens the dashboard
    response = admin_client.get("/admin/personalization/placement/dashboard/")
    # Then home-hero shows its shares, recommendations (one decision) shows none
    assert response.status_code == 200
    html = response.content.decode()
    hero = html.split('data-placement="home-hero"')[1].split('data-placement="')[0]
    assert "<td>3</td>" in hero and "<td>100.0 %</td>" in hero
    recs = html.split('data-placement="recommendations"')[1].split('data-placement="')[0]
    assert "fewer than 3 visitors, not shown" in recs
    assert "<td>1</td>" not in recs
    # And the history says who changed what
    history = html.split('id="revision-history"')[1]
    assert "Disabled placement recommendations" in history
    assert "<td>admin</td>" in history
    assert "changed recommendations" in history
    assert "added free-shipping-banner, home-hero, recommendations" in history


def subject_token(capture) -> str:
    """A visitor who made a consent choice (so their decisions have a consent subject)."""
    with capture(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": False}, source="api")
    return subject_token_sign(subject.public_id)


def hero_html(admin_client) -> str:
    html = admin_client.get("/admin/personalization/placement/dashboard/").content.decode()
    return html.split('data-placement="home-hero"')[1].split('data-placement="')[0]


def test_dashboard__one_visitor_reloading__not_shown_until_k_visitors(
    client, admin_client, demo, settings, django_capture_on_commit_callbacks
):
    # Given k = 3 and one visitor with a consent choice who asks for home-hero 5 times
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 3}
    first = subject_token(django_capture_on_commit_callbacks)
    for _ in range(5):
        decide(client, {"placements": ["home-hero"]}, first)
    # When the marketer opens the dashboard
    # Then five decisions of one person are not shown
    assert "fewer than 3 visitors, not shown" in hero_html(admin_client)
    assert "<td>5</td>" not in hero_html(admin_client)
    # When two more visitors come
    for _ in range(2):
        decide(
            client, {"placements": ["home-hero"]}, subject_token(django_capture_on_commit_callbacks)
        )
    # Then the group of three visitors (seven decisions) is shown
    hero = hero_html(admin_client)
    assert "<td>7</td>" in hero
    assert "fewer than 3 visitors" not in hero.split("</table>")[0]


def test_dashboard__page__explains_who_counts_as_a_visitor(admin_client, db):
    html = admin_client.get("/admin/personalization/placement/dashboard/").content.decode()
    explanation = html.split('id="k-anonymity"')[1].split("</p>")[0]
    assert "counts once however many" in explanation
    assert "never made a choice" in explanation


def test_dashboard__staff_without_permission__403(client, db):
    # Given a staff member with no personalization permission
    user = get_user_model().objects.create_user("intern", password="pw-intern-123", is_staff=True)
    client.force_login(user)
    # When / Then
    assert client.get("/admin/personalization/placement/dashboard/").status_code == 403
    # And with the permission to view placements, allowed
    user.user_permissions.add(Permission.objects.get(codename="view_placement"))
    assert client.get("/admin/personalization/placement/dashboard/").status_code == 200


def test_dashboard__anonymous__sent_to_the_login(client, db):
    response = client.get("/admin/personalization/placement/dashboard/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_placement_changelist__links_the_dashboard(admin_client, db):
    response = admin_client.get("/admin/personalization/placement/")
    assert b'href="/admin/personalization/placement/dashboard/"' in response.content
