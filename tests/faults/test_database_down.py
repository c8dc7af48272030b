"""PostgreSQL (or SQLite) unreachable: decisions from the last-known-good snapshot, consent fails
closed, consent writes answer 503 and are never half-written; recovery needs no restart.

The database is made unreachable for this thread only (see `tests/faults/outages.py`): every
query raises Django's OperationalError, as for a server that refuses connections.
"""

import orjson
import pytest
from django.core.cache import cache
from django.db import OperationalError

from consent.models import ConsentEvent, Subject
from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign
from personalization import services
from personalization.models import Placement, Revision
from personalization.snapshot import REVISION_CACHE_KEY, _holder, snapshot_current
from tests.faults.outages import database_down
from tests.observability.samples import sample

pytestmark = pytest.mark.django_db


def post(client, path, body, token=""):
    headers = {"X-Tactful-Subject": token} if token else {}
    return client.post(
        path, data=orjson.dumps(body), content_type="application/json", headers=headers
    )


def granted(capture, **purposes: bool) -> tuple[Subject, str]:
    with capture(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes=purposes, source="api")
    return subject, subject_token_sign(subject.public_id)


def publish_elsewhere() -> int:
    """Another process publishes a revision: it is in the database and the cache, not here."""
    placement = Placement.objects.get(key="recommendations")
    services.placement_set_enabled(placement=placement, enabled=False)
    latest = Revision.objects.latest().number
    cache.set(REVISION_CACHE_KEY, latest, None)
    return latest


def test_decide__database_down_at_a_revision_check__last_known_good_snapshot(client, demo):
    # Given a warm process at revision r, and a newer revision it has not loaded yet
    known = post(client, "/api/v1/decide", {}).json()["revision"]
    newer = publish_elsewhere()
    _holder.next_check = 0.0
    before = sample("tactful_degraded_total", component="snapshot")
    # When its revision check falls during the outage
    with database_down():
        response = post(client, "/api/v1/decide", {"placements": ["recommendations"]})
    # Then it decides from what it had, and says so in the metrics
    assert newer > known
    assert response.status_code == 200
    assert response.json()["revision"] == known
    assert response.json()["decisions"]["recommendations"]["reason"] == "CONSENT_REQUIRED"
    assert sample("tactful_degraded_total", component="snapshot") == before + 1


def test_recovery__database_back__next_check_loads_the_newer_revision(client, demo):
    # Given a process that kept r during an outage while r+1 was published
    known = post(client, "/api/v1/decide", {}).json()["revision"]
    newer = publish_elsewhere()
    _holder.next_check = 0.0
    with database_down():
        assert snapshot_current().revision == known
    # When the database is back and the next check comes (no restart)
    _holder.next_check = 0.0
    response = post(client, "/api/v1/decide", {"placements": ["recommendations"]})
    # Then the newer revision is served
    assert response.json()["revision"] == newer
    assert response.json()["decisions"]["recommendations"]["reason"] == "DISABLED"
    assert sample("tactful_snapshot_revision") == newer


def test_consent__database_down_uncached_subject__fails_closed(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a subject who granted personalization, whose cached consent has expired
    _, token = granted(django_capture_on_commit_callbacks, personalization=True)
    cache.clear()
    post(client, "/api/v1/decide", {})
    # When the database is unreachable
    with database_down():
        response = post(client, "/api/v1/decide", {"placements": ["home-hero"]}, token)
    # Then they are served as if nothing was granted: non-personalized, never an error
    assert response.status_code == 200
    assert not response.json()["consent"].get("personalization")


def test_consent__database_down_cached_subject__still_personalized(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a subject whose consent is cached (as after any recent request)
    _, token = granted(django_capture_on_commit_callbacks, personalization=True)
    post(client, "/api/v1/decide", {}, token)
    # When
    with database_down():
        response = post(client, "/api/v1/decide", {}, token)
    # Then the cache still answers
    assert response.json()["consent"]["personalization"] is True


def test_consent_write__database_down__503_and_nothing_written(
    client, demo, django_capture_on_commit_callbacks
):
    # Given an existing subject
    _, token = granted(django_capture_on_commit_callbacks, personalization=True)
    events = ConsentEvent.objects.count()
    subjects = Subject.objects.count()
    # When they withdraw while the database is unreachable
    with database_down():
        response = client.put(
            "/api/v1/consent",
            data=b'{"purposes": {"personalization": false}}',
            content_type="application/json",
            headers={"X-Tactful-Subject": token},
        )
    # Then a clear 503, and nothing changed
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert (ConsentEvent.objects.count(), Subject.objects.count()) == (events, subjects)


def test_consent_write__connection_lost_mid_transaction__503_and_nothing_half_written(
    client, demo, monkeypatch
):
    # Given a database that fails after the subject row is written, before its events are
    def lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly (simulated)")

    monkeypatch.setattr("consent.services.consent.events_append", lost)
    subjects = Subject.objects.count()
    events = ConsentEvent.objects.count()
    # When a first choice is sent
    response = client.put(
        "/api/v1/consent",
        data=b'{"purposes": {"personalization": true}}',
        content_type="application/json",
    )
    # Then 503, no subject without its events, no cookie for a subject that does not exist
    assert response.status_code == 503
    assert (Subject.objects.count(), ConsentEvent.objects.count()) == (subjects, events)
    assert "tactful_subject" not in response.cookies


def test_events__database_down__never_5xx(client, demo, django_capture_on_commit_callbacks):
    # Given a consented subject whose consent is not cached
    _, token = granted(django_capture_on_commit_callbacks, personalization=True)
    cache.clear()
    # When events arrive during the outage
    with database_down():
        response = post(
            client,
            "/api/v1/events",
            {"events": [{"type": "product_view", "properties": {"category": "shoes"}}]},
            token,
        )
    # Then dropped with the reason (consent fails closed), not an error
    assert response.status_code == 202
    assert response.json()["reason"] == "CONSENT_REQUIRED"
