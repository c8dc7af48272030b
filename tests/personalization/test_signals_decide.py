"""Decisions read signals: one store read when personalization is granted, never otherwise."""

import orjson
import pytest

from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign
from personalization.signals import selectors as signal_selectors
from personalization.signals.backends.base import SignalStoreError
from personalization.signals.backends.memory import MemorySignalStore
from personalization.signals.taxonomy import event_taxonomy_forget

pytestmark = pytest.mark.django_db

SHOES = {"type": "product_view", "properties": {"category": "shoes"}}


@pytest.fixture(autouse=True)
def _fresh_taxonomy():
    event_taxonomy_forget()
    yield
    event_taxonomy_forget()


def token_with(capture, **purposes: bool) -> str:
    with capture(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes=purposes, source="api")
    return subject_token_sign(subject.public_id)


def post(client, path, body, token):
    return client.post(
        path,
        data=orjson.dumps(body),
        content_type="application/json",
        headers={"X-Tactful-Subject": token},
    )


def hero_and_recs(client, token):
    body = {"placements": ["home-hero", "recommendations"]}
    decisions = post(client, "/api/v1/decide", body, token).json()["decisions"]
    return decisions["home-hero"]["variant"], decisions["recommendations"]["value"]


def test_decide__three_shoe_views__shoe_intent_matches(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a consented subject with the generic decisions
    token = token_with(django_capture_on_commit_callbacks, personalization=True)
    assert hero_and_recs(client, token) == ("default", "bestsellers")
    # When three shoe views are sent
    post(client, "/api/v1/events", {"events": [SHOES] * 3}, token)
    # Then the demo's shoe-intent segment flips both placements
    assert hero_and_recs(client, token) == ("shoes", "shoes-first")


def test_decide__signals_present__explanation_names_the_namespace(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a subject with shoe intent
    token = token_with(django_capture_on_commit_callbacks, personalization=True)
    post(client, "/api/v1/events", {"events": [SHOES] * 3}, token)
    # When decided
    body = {"placements": ["home-hero"]}
    hero = post(client, "/api/v1/decide", body, token).json()["decisions"]["home-hero"]
    # Then the explanation says which segment and namespace served it
    assert hero["explanation"]["segment"] == "shoe-intent"
    assert hero["explanation"]["namespaces"] == ["signals"]


def test_decide__personalization_not_granted__store_never_read(
    client, demo, django_capture_on_commit_callbacks, monkeypatch
):
    # Given a subject who granted measurement only, and a store that counts reads
    token = token_with(django_capture_on_commit_callbacks, measurement=True)
    reads = []

    class Counting(MemorySignalStore):
        def window(self, subject_id):
            reads.append(subject_id)
            return super().window(subject_id)

    monkeypatch.setattr(signal_selectors, "signal_store", Counting)
    # When decided
    hero_and_recs(client, token)
    # Then the store was not read at all
    assert reads == []


def test_decide__store_down__decides_without_signals(
    client, demo, django_capture_on_commit_callbacks, monkeypatch
):
    # Given a consented subject and a store that is down
    token = token_with(django_capture_on_commit_callbacks, personalization=True)

    class Down(MemorySignalStore):
        def window(self, subject_id):
            raise SignalStoreError("down")

    monkeypatch.setattr(signal_selectors, "signal_store", Down)
    # When decided
    response = post(client, "/api/v1/decide", {"placements": ["recommendations"]}, token)
    # Then the decision succeeds, as if there were no signals
    assert response.status_code == 200
    assert response.json()["decisions"]["recommendations"]["reason"] == "DEFAULT"
