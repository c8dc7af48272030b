"""Exposures reported by edges: recorded for subjects who still grant measurement."""

import orjson
import pytest
from django.urls import reverse

from consent.services import consent_grant, consent_withdraw, subject_create
from personalization.edge.services import edge_key_create
from personalization.outcomes.selectors import marks_export

SPLIT = {
    "placement": "free-shipping-banner",
    "reason": "SPLIT",
    "variant": "on",
    "segment": None,
    "experiment": "free-shipping-test",
}
HELD_OUT = {
    "placement": "home-hero",
    "reason": "DEFAULT",
    "variant": "default",
    "segment": None,
    "experiment": None,
    "holdout": {"segment": "mobile-visitors", "experiment": None, "variant": "mobile"},
}


@pytest.fixture
def edge_key(db):
    return edge_key_create(name="test-edge")[1]


@pytest.fixture
def measured(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subject = subject_create()
        consent_grant(subject=subject, purposes=["measurement"], source="api")
    return subject


def _post(client, body, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.post(
        reverse("edge-exposures"),
        data=orjson.dumps(body),
        content_type="application/json",
        **headers,
    )


def _cohorts(subject_id):
    """(kind, placement, experiment, variant, held out) of each of the subject's marks."""
    return {
        (m["kind"], m["placement"], m["experiment"], m["variant"], m["holdout"])
        for m in marks_export(subject_id=subject_id)
    }


def test_edge_exposures__measured_subject__recorded_as_the_origins_own(
    client, demo, edge_key, measured
):
    # When an edge reports a split and a holdout it served a measured subject
    body = {"exposures": [{"subject": measured.public_id, "revision": 1,
                           "decisions": [SPLIT, HELD_OUT]}]}  # fmt: skip
    response = _post(client, body, edge_key)
    # Then both are in the subject's exposure marks, as if the origin had served them
    assert response.status_code == 202
    assert response.json() == {"recorded": 1, "dropped": 0}
    cohorts = _cohorts(measured.public_id)
    assert ("arm", "free-shipping-banner", "free-shipping-test", "on", False) in cohorts
    assert ("placement", "home-hero", None, None, True) in cohorts


def test_edge_exposures__measurement_withdrawn_since__dropped(
    client, demo, edge_key, measured, django_capture_on_commit_callbacks
):
    # Given the subject withdrew measurement after the edge decided
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(subject=measured, purposes=["measurement"], source="api")
    # When the edge's report arrives
    body = {"exposures": [{"subject": measured.public_id, "revision": 1, "decisions": [SPLIT]}]}
    response = _post(client, body, edge_key)
    # Then nothing is recorded
    assert response.json() == {"recorded": 0, "dropped": 1}
    assert _cohorts(measured.public_id) == set()


def test_edge_exposures__no_key__401(client, demo, measured):
    body = {"exposures": [{"subject": measured.public_id, "revision": 1, "decisions": [SPLIT]}]}
    assert _post(client, body).status_code == 401
    assert _cohorts(measured.public_id) == set()


@pytest.mark.parametrize(
    "body",
    [
        {"exposures": "x"},
        {"exposures": [{"subject": "s", "revision": "1", "decisions": []}]},
        {"exposures": [{"subject": "s", "revision": 1, "decisions": [{**SPLIT, "reason": "X"}]}]},
        {"exposures": [{"subject": "s" * 33, "revision": 1, "decisions": []}]},
        {"exposures": [{"subject": "s", "revision": 1, "decisions": []}] * 201},
    ],
)
def test_edge_exposures__malformed__400(client, demo, edge_key, body):
    response = _post(client, body, edge_key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
