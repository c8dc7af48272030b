"""Redis stopped: decisions go on (context and prefs, without signals), events answer 503 or drop
with a reason, nothing is a 5xx on decide, and the metrics show the degraded path.

Redis is "stopped" by pointing this process at a local port nothing listens on (see
`tests/faults/outages.py`); the machine's own Redis is never touched.
"""

import orjson
import pytest

from consent.services import consent_update, preferences_update, subject_create
from consent.tokens import subject_token_sign
from personalization.models import Revision
from personalization.snapshot import _holder, snapshot_reset
from personalization.stats.services import decision_stats_reset
from tests.faults.outages import redis_down
from tests.observability.samples import sample

pytestmark = pytest.mark.django_db


def post(client, path, body, token=""):
    headers = {"X-Tactful-Subject": token} if token else {}
    return client.post(
        path, data=orjson.dumps(body), content_type="application/json", headers=headers
    )


@pytest.fixture
def consented(demo, django_capture_on_commit_callbacks) -> str:
    """A running fan who granted personalization and measurement (before Redis went away)."""
    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_update(
            subject=subject, purposes={"personalization": True, "measurement": True}, source="api"
        )
        preferences_update(subject=subject, preferences={"interests": ["running"]})
    return subject_token_sign(subject.public_id)


def test_decide__redis_stopped__context_and_prefs_from_the_database_without_signals(
    client, consented, settings, monkeypatch
):
    # Given Redis (cache, channel layer, signal and statistics stores) is stopped
    redis_down(settings, monkeypatch)
    consent_before = sample("tactful_degraded_total", component="consent")
    # When a consented mobile visitor asks for decisions
    response = post(
        client,
        "/api/v1/decide",
        {"placements": ["home-hero", "recommendations"], "context": {"device": "mobile"}},
        consented,
    )
    # Then the answer is a normal 200: consent and preferences come from the database, the
    # contextual and preference rules apply, and signals are absent
    assert response.status_code == 200
    body = response.json()
    assert body["decisions"]["home-hero"]["variant"] == "mobile"
    assert body["decisions"]["recommendations"]["variant"] == "running-first"
    assert body["consent"]["personalization"] is True
    # And the metrics say the consent cache could not be read
    assert sample("tactful_degraded_total", component="consent") > consent_before


def test_decide_and_ofrep__redis_stopped__never_5xx(client, consented, settings, monkeypatch):
    # Given
    redis_down(settings, monkeypatch)
    # When every decision endpoint is asked, anonymously and as the subject
    answers = (
        [post(client, "/api/v1/decide", {}, token).status_code for token in ("", consented)]
        + [
            post(client, "/ofrep/v1/evaluate/flags", {"context": {}}, token).status_code
            for token in ("", consented)
        ]
        + [post(client, "/ofrep/v1/evaluate/flags/home-hero", {"context": {}}).status_code]
    )
    # Then
    assert answers == [200, 200, 200, 200, 200]


def test_decide__signal_store_stopped__decided_without_signals(
    client, consented, settings, monkeypatch
):
    # Given the cache still answers but the signal store's Redis is stopped
    url = redis_down(settings, monkeypatch)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert url
    signals_before = sample("tactful_degraded_total", component="signals")
    # When the consented subject asks
    response = post(
        client,
        "/api/v1/decide",
        {"placements": ["home-hero"], "context": {"device": "mobile"}},
        consented,
    )
    # Then personalization is granted, the signal rule cannot match, the next rule serves
    assert response.status_code == 200
    assert response.json()["consent"]["personalization"] is True
    assert response.json()["decisions"]["home-hero"]["variant"] == "mobile"
    assert sample("tactful_degraded_total", component="signals") == signals_before + 1


def test_events__signal_store_stopped__503_with_a_clear_body(
    client, consented, settings, monkeypatch
):
    # Given consent is readable, the signal store is not
    redis_down(settings, monkeypatch)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # When the subject sends an event
    response = post(
        client,
        "/api/v1/events",
        {"events": [{"type": "product_view", "properties": {"category": "shoes"}}]},
        consented,
    )
    # Then a 503 the SDK can act on
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "signals_unavailable"


def test_events__redis_stopped__503_and_the_rate_limit_degrades(
    client, consented, settings, monkeypatch
):
    # Given everything on Redis is stopped (consent is read from the database)
    redis_down(settings, monkeypatch)
    rate_limit_before = sample("tactful_degraded_total", component="rate_limit")
    # When
    response = post(
        client,
        "/api/v1/events",
        {"events": [{"type": "product_view", "properties": {"category": "shoes"}}]},
        consented,
    )
    # Then nothing can be stored, and a clear 503 says so; the rate limit let it through
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert sample("tactful_degraded_total", component="rate_limit") == rate_limit_before + 1


def test_snapshot__redis_stopped_at_process_start__loaded_from_the_database(
    client, demo, settings, monkeypatch
):
    # Given a process starting (no snapshot yet) while Redis is stopped
    redis_down(settings, monkeypatch)
    snapshot_reset()
    latest = Revision.objects.latest().number
    # When its first visitor asks for a decision
    response = post(
        client, "/api/v1/decide", {"placements": ["home-hero"], "context": {"device": "mobile"}}
    )
    # Then the configuration came from the database, not an empty stand-in
    assert response.status_code == 200
    assert response.json()["revision"] == latest
    assert response.json()["decisions"]["home-hero"]["variant"] == "mobile"
    # And the process holds it until the next periodic check, instead of retrying every request
    assert _holder.snapshot is not None and _holder.snapshot.revision == latest
    assert _holder.next_check > 0


def test_dashboard_counts__redis_stopped__kept_pending_and_decisions_served(
    client, demo, settings, monkeypatch
):
    # Given
    redis_down(settings, monkeypatch)
    decision_stats_reset()
    before = sample("tactful_degraded_total", component="decision_stats")
    # When a decision's flush cannot reach the statistics store
    response = post(client, "/api/v1/decide", {"placements": ["home-hero"]})
    # Then the decision is served and the metrics show the failed flush
    assert response.status_code == 200
    assert sample("tactful_degraded_total", component="decision_stats") == before + 1
