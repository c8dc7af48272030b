"""Signal windows: the `signals.*` attributes derived from retained events, and retention."""

import pytest

from personalization.signals.windows import (
    HARD_MAX_SECONDS,
    Retention,
    SignalEvent,
    SignalWindow,
    retention_policy,
)

NOW = 1_800_000_000.0
RETENTION = Retention(horizon=12600, linger=1800, session_idle=1800, max_events=500)


def view(seconds_ago: float, category: str = "shoes") -> SignalEvent:
    return SignalEvent(type="product_view", properties={"category": category}, ts=NOW - seconds_ago)


def window(*events: SignalEvent) -> SignalWindow:
    return SignalWindow(events=tuple(sorted(events, key=lambda e: e.ts)), retention=RETENTION)


def test_attributes__three_recent_views__nested_counts_per_window_and_value():
    # Given three shoe views in the last minutes and one bag view 10 minutes ago
    events = [view(4), view(60), view(200), view(600, "bags")]
    # When the attributes are derived
    attributes = window(*events).attributes(now=NOW)
    # Then counts are nested by type, property and value, per window
    product_view = attributes["product_view"]
    assert product_view["count_5m"] == 3
    assert product_view["count_30m"] == 4
    assert product_view["count_session"] == 4
    assert product_view["seconds_since_last"] == 4
    assert product_view["category"]["shoes"] == {"count_5m": 3, "count_30m": 3, "count_session": 3}
    assert product_view["category"]["bags"] == {"count_5m": 0, "count_30m": 1, "count_session": 1}


def test_attributes__demo_segment_path__reads_the_30_minute_count():
    # Given the demo's shoe-intent condition and three shoe views
    from personalization.engine import evaluate_condition

    attributes = {"signals": window(view(10), view(20), view(30)).attributes(now=NOW)}
    condition = {"signals.product_view.category.shoes.count_30m": {"$gte": 3}}
    # When / Then the condition matches on the nested attributes
    assert evaluate_condition(condition, attributes) is True


def test_attributes__window_edges__an_event_exactly_a_window_old_is_out():
    # Given events exactly 5 and 30 minutes old
    attributes = window(view(300), view(1800)).attributes(now=NOW)["product_view"]
    # Then the 5-minute window excludes the first, the 30-minute one the second
    assert attributes["count_5m"] == 0
    assert attributes["count_30m"] == 1


def test_session__pause_longer_than_idle__starts_a_new_visit():
    # Given two views 2 hours ago, a 40-minute pause, then two recent views
    events = [view(7300), view(7200), view(700), view(100)]
    # When
    win = window(*events)
    attributes = win.attributes(now=NOW)["product_view"]
    # Then the session counts only the visit after the pause
    assert win.session_start(NOW) == NOW - 700
    assert attributes["count_session"] == 2


def test_session__idle_since_last_event__session_is_over():
    # Given the last event 31 minutes ago
    win = window(view(1860))
    # Then there is no current session and nothing counts in it
    assert win.session_start(NOW) is None
    assert win.attributes(now=NOW)["product_view"]["count_session"] == 0


def test_attributes__event_beyond_horizon__no_longer_counts():
    # Given a window a socket kept while its oldest event left the horizon
    win = window(view(RETENTION.horizon + 1), view(10))
    # Then only the recent event is counted
    assert win.attributes(now=NOW)["product_view"]["count_session"] == 1


def test_attributes__no_events__empty_namespace():
    assert window().attributes(now=NOW) == {}


def test_next_change__recent_event__when_it_leaves_the_5_minute_window():
    # Given one event 100 s ago
    # Then the next count change is when it turns 5 minutes old
    assert window(view(100)).next_change(now=NOW) == pytest.approx(200)
    assert window().next_change(now=NOW) is None


def test_summary__export__attributes_and_extent_without_events():
    # When a window is summarised for a data export
    summary = window(view(100), view(50)).summary(now=NOW)
    # Then it has the attributes and counts, and no event or timestamp
    assert summary["events_retained"] == 2
    assert summary["oldest_event_seconds_ago"] == 100
    assert summary["attributes"]["product_view"]["count_5m"] == 2
    assert "events" not in summary


def test_retention_policy__configured_beyond_24_hours__capped_at_24_hours(settings):
    # Given an operator asking for a week
    settings.TACTFUL = {**settings.TACTFUL, "SIGNAL_RETENTION_SECONDS": 7 * 24 * 3600}
    # When
    policy = retention_policy()
    # Then no event may outlive 24 hours
    assert policy.max_age == HARD_MAX_SECONDS
    assert policy.horizon + policy.linger <= HARD_MAX_SECONDS


def test_retention_policy__defaults__30_minute_linger_and_visits(settings):
    # When
    policy = retention_policy()
    # Then an idle subject's entry lingers as long as the 30-minute window needs
    assert policy.linger == 1800
    assert policy.session_idle == 1800
    assert policy.max_age == settings.TACTFUL["SIGNAL_RETENTION_SECONDS"]
