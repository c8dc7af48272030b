"""POST /api/v1/events: consent-gated, taxonomy-checked, rate-limited ingest with no DB query."""

import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from django.test import Client

from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign
from personalization.models import EventType
from personalization.signals.store import signal_store
from personalization.signals.taxonomy import event_taxonomy_forget

pytestmark = pytest.mark.django_db

SHOES = {"type": "product_view", "properties": {"category": "shoes"}}


@pytest.fixture(autouse=True)
def _fresh_taxonomy() -> Iterator[None]:
    # The taxonomy is kept in process memory; each test starts from its own database.
    event_taxonomy_forget()
    yield
    event_taxonomy_forget()


def post(client: Client, body: Any, **headers: str):
    return client.post(
        "/api/v1/events",
        data=body if isinstance(body, bytes | str) else orjson.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def subject_with(capture, **purposes: bool) -> tuple[str, str]:
    with capture(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes=purposes, source="api")
    return subject.public_id, subject_token_sign(subject.public_id)


@pytest.fixture
def consented(demo, django_capture_on_commit_callbacks) -> tuple[str, str]:
    return subject_with(django_capture_on_commit_callbacks, personalization=True)


def test_events__anonymous_visitor__202_nothing_stored_consent_required(client, demo):
    # Given a visitor without a subject token
    # When events are sent
    response = post(client, {"events": [SHOES, SHOES]})
    # Then they are accepted for delivery but dropped, saying why
    assert response.status_code == 202
    assert response.json() == {"accepted": 0, "dropped": 2, "reason": "CONSENT_REQUIRED"}


def test_events__personalization_refused__nothing_stored(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a subject who granted measurement only
    subject_id, token = subject_with(django_capture_on_commit_callbacks, measurement=True)
    # When they send events
    response = post(client, {"events": [SHOES]}, X_Tactful_Subject=token)
    # Then nothing is stored
    assert response.json()["reason"] == "CONSENT_REQUIRED"
    assert signal_store().window(subject_id).events == ()


def test_events__consented__stored_and_counted(client, consented):
    # Given a subject who granted personalization
    subject_id, token = consented
    # When three shoe views are sent (one with a client timestamp)
    response = post(
        client,
        {"events": [SHOES, SHOES, {**SHOES, "ts": 1000 * time.time() - 5000}]},
        X_Tactful_Subject=token,
    )
    # Then all are stored
    assert response.status_code == 202
    assert response.json() == {"accepted": 3, "dropped": 0, "rejected": []}
    shoes = signal_store().attributes(subject_id)["product_view"]["category"]["shoes"]
    assert shoes["count_30m"] == 3


def test_events__bad_events__each_rejected_with_reason_others_kept(client, consented):
    # Given a batch with one good event and one of each kind of problem
    subject_id, token = consented
    batch = [
        {"type": "checkout", "properties": {}},
        SHOES,
        {"type": "product_view", "properties": {"colour": "red"}},
        {"type": "product_view", "properties": {"category": "diabetes"}},
        {"type": "product_view", "properties": {"category": {"nested": 1}}},
        {"type": "product_view", "ts": "yesterday"},
        {"type": "product_view", "ts": 4_102_444_800_000},
        "not an object",
        {**SHOES, "extra": 1},
    ]
    # When
    response = post(client, {"events": batch}, X_Tactful_Subject=token)
    # Then the good one is stored and each other is named with its reason
    body = response.json()
    assert response.status_code == 202
    assert (body["accepted"], body["dropped"]) == (1, 8)
    codes = {r["index"]: r["code"] for r in body["rejected"]}
    assert codes == {
        0: "unknown_type",
        2: "unknown_property",
        3: "sensitive_data",
        4: "invalid_value",
        5: "invalid_timestamp",
        6: "invalid_timestamp",
        7: "invalid_event",
        8: "invalid_event",
    }
    assert "health" in body["rejected"][2]["message"]
    assert "allowed: category" in body["rejected"][1]["message"]
    assert len(signal_store().window(subject_id).events) == 1


def test_events__property_values__normalised_to_lower_case_slugs(client, consented):
    # Given values in mixed case and with spaces
    subject_id, token = consented
    batch = [
        {"type": "product_view", "properties": {"category": "Running Shoes"}},
        {"type": "product_view", "properties": {"category": 42}},
        {"type": "product_view", "properties": {"category": "!!!"}},
    ]
    # When
    body = post(client, {"events": batch}, X_Tactful_Subject=token).json()
    # Then they become path-safe slugs; one that cannot is rejected
    categories = signal_store().attributes(subject_id)["product_view"]["category"]
    assert set(categories) == {"running-shoes", "42"}
    assert [r["index"] for r in body["rejected"]] == [2]


def test_events__firewall_finding__rejected_with_its_message(client, consented, monkeypatch):
    # Given a firewall that flags a value (the contract: messages naming the category)
    _, token = consented
    calls = []

    def firewall(*, keys=(), values=()):
        calls.append((list(keys), list(values)))
        return ["The value 'x' touches a sensitive category, test."]

    monkeypatch.setattr("personalization.signals.taxonomy.sensitive_problems", firewall)
    # When an otherwise valid event is sent
    body = post(client, {"events": [SHOES]}, X_Tactful_Subject=token).json()
    # Then the firewall saw its keys and values, and its message is the reason
    assert calls == [(["category"], ["shoes"])]
    assert body["rejected"] == [
        {
            "index": 0,
            "code": "sensitive_data",
            "message": "The value 'x' touches a sensitive category, test.",
        }
    ]


def test_events__more_than_50__400(client, consented):
    # When 51 events are sent
    response = post(client, {"events": [SHOES] * 51}, X_Tactful_Subject=consented[1])
    # Then the batch is refused as a whole
    assert response.status_code == 400
    assert "events" in response.json()["error"]["details"]


def test_events__body_over_64_kib__413(client, consented):
    # Given a body just over 64 KiB
    body = orjson.dumps({"events": [SHOES], "pad": "x" * 65 * 1024})
    # When
    response = post(client, body, X_Tactful_Subject=consented[1])
    # Then
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    "raw", ["{nope", "[1, 2]", '{"events": "product_view"}', '{"events": {}}', "{}"]
)
def test_events__wrong_shape__400(client, demo, raw):
    # When the body is not {"events": [...]}
    response = post(client, raw)
    # Then a clear 400
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_events__over_rate_limit__429_with_retry_after(client, consented, settings):
    # Given a limit of 2 requests per minute
    settings.TACTFUL = {
        **settings.TACTFUL,
        "EVENTS_RATE_LIMIT": 2,
        "EVENTS_RATE_WINDOW_SECONDS": 60,
    }
    token = consented[1]
    # When a subject sends 3 requests
    statuses = [post(client, {"events": [SHOES]}, X_Tactful_Subject=token) for _ in range(3)]
    # Then the third is refused, saying when to retry
    assert [r.status_code for r in statuses] == [202, 202, 429]
    assert 1 <= int(statuses[2]["Retry-After"]) <= 60
    assert statuses[2].json()["error"]["code"] == "throttled"


def test_events__anonymous_flood__limited_per_client_address(client, demo, settings):
    # Given a limit of 1 request per minute
    settings.TACTFUL = {**settings.TACTFUL, "EVENTS_RATE_LIMIT": 1}
    # When an anonymous client sends twice
    first = post(client, {"events": [SHOES]})
    second = post(client, {"events": [SHOES]})
    # Then its address is limited although nothing of it is stored
    assert (first.status_code, second.status_code) == (202, 429)
    assert "Retry-After" in second


def test_events__forwarded_for_varied__still_limited_per_peer_address(client, demo, settings):
    # Given a limit of 1 request per minute
    settings.TACTFUL = {**settings.TACTFUL, "EVENTS_RATE_LIMIT": 1}
    # When an anonymous client invents a new X-Forwarded-For for each request
    first = post(client, {"events": [SHOES]}, X_Forwarded_For="198.51.100.1")
    second = post(client, {"events": [SHOES]}, X_Forwarded_For="198.51.100.2")
    # Then it is still one client
    assert (first.status_code, second.status_code) == (202, 429)


def test_events__no_client_address__answered_not_a_server_error(client, demo):
    # When a request arrives with no peer address (a unix socket behind a proxy)
    response = client.post(
        "/api/v1/events", data=b'{"events": []}', content_type="application/json", REMOTE_ADDR=None
    )
    # Then it is answered like any other
    assert response.status_code == 202


def test_events__warm__zero_database_queries(client, consented, django_assert_num_queries):
    # Given one request that warmed the taxonomy and the consent cache
    _, token = consented
    assert post(client, {"events": [SHOES]}, X_Tactful_Subject=token).status_code == 202
    # When the next batch arrives
    with django_assert_num_queries(0):
        response = post(client, {"events": [SHOES, SHOES]}, X_Tactful_Subject=token)
    # Then it was stored without touching the database
    assert response.json()["accepted"] == 2


def test_events__event_type_added__taxonomy_refreshed(client, consented):
    # Given a warm taxonomy that does not know "search"
    _, token = consented
    search = {"type": "search", "properties": {"term": "boots"}}
    assert post(client, {"events": [search]}, X_Tactful_Subject=token).json()["accepted"] == 0
    # When the marketer adds the event type
    EventType.objects.create(key="search", properties=["term"])
    # Then it is accepted at once
    assert post(client, {"events": [search]}, X_Tactful_Subject=token).json()["accepted"] == 1


def test_events__store_down__503_error_shape(client, consented, monkeypatch):
    # Given a store that cannot be written
    from personalization.signals import services
    from personalization.signals.backends.base import SignalStoreError
    from personalization.signals.backends.memory import MemorySignalStore

    class Down(MemorySignalStore):
        def record(self, subject_id, events):
            raise SignalStoreError("down")

    monkeypatch.setattr(services, "signal_store", Down)
    # When
    response = post(client, {"events": [SHOES]}, X_Tactful_Subject=consented[1])
    # Then the client is told to retry later, in the one error shape
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "signals_unavailable"


def test_events__stored__announced_to_the_subjects_sockets(client, consented, monkeypatch):
    # Given a channel layer that records what is sent
    sent = []

    class Recording:
        async def group_send(self, group, message):
            sent.append((group, message))

    monkeypatch.setattr("config.broadcast.get_channel_layer", Recording)
    subject_id, token = consented
    # When events are stored
    post(client, {"events": [SHOES]}, X_Tactful_Subject=token)
    # Then the subject's group is told
    assert sent == [(f"subject.{subject_id}", {"type": "signals.changed"})]


def test_schema__lists_the_events_endpoint(client, db):
    # When
    response = client.get("/api/schema/", headers={"Accept": "application/json"})
    # Then
    assert "/api/v1/events" in response.content.decode()
