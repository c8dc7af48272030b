"""/ws/v1/decisions: decisions on subscribe, pushes only on change, protocol errors and limits."""

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any
from unittest import mock

import orjson
import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from consent.models import Subject
from consent.services import (
    consent_update,
    consent_withdraw,
    preferences_update,
    subject_create,
)
from consent.tokens import subject_token_sign
from personalization import services
from personalization.decision_log import decision_log_get
from personalization.lifespan import consent_check
from personalization.models import Placement, Revision
from personalization.signals.store import signal_store
from personalization.signals.windows import SignalEvent
from tests.observability.samples import sample

# Sockets read the database from other threads, so the test data is committed for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_process")]

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
SHOES = {"type": "product_view", "properties": {"category": "shoes"}}
# Long enough for a push to cross the channel layer (Redis when REDIS_URL is set).
WAIT = 3


@pytest.fixture
def subject_token(demo_live: None) -> tuple[str, str]:
    """A subject who granted personalization, and their signed token."""
    subject = subject_create()
    consent_update(subject=subject, purposes={"personalization": True}, source="api")
    return subject.public_id, subject_token_sign(subject.public_id)


@contextlib.asynccontextmanager
async def socket(
    token: str | None = None, origin: tuple[bytes, bytes] = ORIGIN
) -> AsyncIterator[WebsocketCommunicator]:
    headers = [origin, (b"host", b"127.0.0.1:8000")]
    if token:
        headers.append((b"cookie", f"tactful_subject={token}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/v1/decisions", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def subscribe(ws: WebsocketCommunicator, **fields: Any) -> dict[str, Any]:
    await ws.send_json_to({"type": "subscribe", **fields})
    return await ws.receive_json_from(timeout=WAIT)


def values(message: dict[str, Any]) -> dict[str, Any]:
    return {key: d["variant"] for key, d in message["decisions"].items()}


def record_shoe_views(subject_id: str, n: int = 3) -> None:
    event = SignalEvent(type="product_view", properties={"category": "shoes"}, ts=time.time())
    signal_store().record(subject_id, [event] * n)


HERO_RECS = ["home-hero", "recommendations"]


async def test_subscribe__anonymous__contextual_decisions_at_once(demo_live):
    # Given an anonymous visitor on a phone
    async with socket() as ws:
        # When they subscribe
        message = await subscribe(ws, placements=HERO_RECS, context={"device": "mobile"})
        # Then decisions come at once, shaped as in /api/v1/decide
    assert message["type"] == "decisions"
    assert message["seq"] == 1
    assert message["revision"] == await database_sync_to_async(Revision.objects.count)()
    assert values(message) == {"home-hero": "mobile", "recommendations": "default"}
    hero = message["decisions"]["home-hero"]
    assert set(hero) == {"value", "variant", "reason", "personalized", "explanation"}
    assert message["decisions"]["recommendations"]["reason"] == "CONSENT_REQUIRED"
    assert message["changed"] == HERO_RECS


async def test_connect__origin_not_allowed__refused(demo_live):
    # Given a page on another site
    communicator = WebsocketCommunicator(
        application, "/ws/v1/decisions", headers=[(b"origin", b"https://evil.example")]
    )
    # When it opens the socket
    connected, _ = await communicator.connect()
    # Then the handshake is refused
    assert connected is False


async def test_subscribe__token_in_first_message__personalized(subject_token):
    # Given a consented subject with shoe intent, without a cookie
    subject_id, token = subject_token
    await sync_to_async(record_shoe_views)(subject_id)
    async with socket() as ws:
        # When the token comes with the subscribe message
        message = await subscribe(ws, placements=HERO_RECS, token=token)
    # Then the decisions use their signals
    assert values(message) == {"home-hero": "shoes", "recommendations": "shoes-first"}


async def test_subscribe__forged_token__contextual_only(demo_live):
    async with socket() as ws:
        # When the token is not ours
        message = await subscribe(ws, placements=["recommendations"], token="forged:abc")
    # Then the visitor is anonymous, not refused
    assert message["decisions"]["recommendations"]["reason"] == "CONSENT_REQUIRED"


async def test_demo__three_shoe_views__push_flips_both_placements(subject_token):
    # Given the demo and a consented subject's open socket with the generic decisions
    _, token = subject_token
    client = Client(headers={"X-Tactful-Subject": token})
    async with socket(token) as ws:
        first = await subscribe(ws, placements=HERO_RECS)
        assert values(first) == {"home-hero": "default", "recommendations": "default"}
        # When three product views of shoes are sent through the events API
        response = await sync_to_async(client.post)(
            "/api/v1/events",
            data=orjson.dumps({"events": [SHOES, SHOES, SHOES]}),
            content_type="application/json",
        )
        assert response.json()["accepted"] == 3
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then both placements flip on the open socket, without asking
    assert values(pushed) == {"home-hero": "shoes", "recommendations": "shoes-first"}
    assert pushed["decisions"]["recommendations"]["value"] == "shoes-first"
    assert pushed["seq"] == 2
    assert pushed["changed"] == HERO_RECS


async def test_demo__withdrawal__defaults_on_every_open_tab_and_signals_deleted(subject_token):
    # Given two tabs of a subject with shoe intent
    subject_id, token = subject_token
    await sync_to_async(record_shoe_views)(subject_id)
    async with socket(token) as tab1, socket(token) as tab2:
        for tab in (tab1, tab2):
            assert values(await subscribe(tab, placements=HERO_RECS))["home-hero"] == "shoes"
        # When personalization is withdrawn
        subject = await database_sync_to_async(Subject.objects.get)(public_id=subject_id)
        await database_sync_to_async(consent_withdraw)(
            subject=subject, purposes=["personalization"], source="api"
        )
        pushes = [await tab.receive_json_from(timeout=WAIT) for tab in (tab1, tab2)]
    # Then both tabs are back to the defaults, and the signals are gone
    for pushed in pushes:
        assert values(pushed) == {"home-hero": "default", "recommendations": "default"}
        assert pushed["decisions"]["home-hero"]["reason"] == "CONSENT_REQUIRED"
    assert (await signal_store().awindow(subject_id)).events == ()


async def test_revision__published__pushes_only_when_decisions_change(demo_live):
    # Given an anonymous socket subscribed to the free-shipping banner from the spring campaign
    async with socket() as ws:
        first = await subscribe(
            ws, placements=["free-shipping-banner"], context={"utm_campaign": "spring-sale"}
        )
        assert first["decisions"]["free-shipping-banner"]["value"] is True
        # When a revision that does not touch it is published
        segment = await database_sync_to_async(services.segment_create)(
            key="tablets", name="Tablets", condition={"context.device": "tablet"}
        )
        # Then nothing is pushed
        assert segment.pk
        assert await ws.receive_nothing(timeout=0.3)
        # When the banner is switched off
        placement = await database_sync_to_async(Placement.objects.get)(key="free-shipping-banner")
        await database_sync_to_async(services.placement_set_enabled)(
            placement=placement, enabled=False
        )
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then the change is pushed with the new revision
    decision = pushed["decisions"]["free-shipping-banner"]
    assert (decision["value"], decision["reason"]) == (False, "DISABLED")
    assert pushed["revision"] == first["revision"] + 2
    assert pushed["seq"] == 2


async def test_revision__rollback__pushes_the_restored_decision(demo_live):
    # Given a socket and a disabled banner
    placement = await database_sync_to_async(Placement.objects.get)(key="free-shipping-banner")
    before = await database_sync_to_async(Revision.objects.latest)()
    await database_sync_to_async(services.placement_set_enabled)(placement=placement, enabled=False)
    async with socket() as ws:
        first = await subscribe(
            ws, placements=["free-shipping-banner"], context={"utm_campaign": "spring-sale"}
        )
        assert first["decisions"]["free-shipping-banner"]["reason"] == "DISABLED"
        # When the marketer rolls back to the revision before
        await database_sync_to_async(services.revision_rollback)(revision=before)
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then the restored decision is pushed
    assert pushed["decisions"]["free-shipping-banner"]["value"] is True


async def test_context__update__pushes_only_when_decisions_change(demo_live):
    async with socket() as ws:
        await subscribe(ws, placements=["home-hero"], context={"device": "desktop"})
        # When the context changes in a way that does not matter
        await ws.send_json_to({"type": "context", "context": {"device": "desktop", "locale": "fr"}})
        # Then nothing is pushed
        assert await ws.receive_nothing(timeout=0.3)
        # When the device changes
        await ws.send_json_to({"type": "context", "context": {"device": "mobile"}})
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then the new decision is pushed
    assert values(pushed) == {"home-hero": "mobile"}


async def test_consent__granted_on_another_tab__pushes_personalized(demo_live):
    # Given a subject who has not granted personalization yet, with shoe views on record
    subject = await database_sync_to_async(subject_create)()
    token = subject_token_sign(subject.public_id)
    await sync_to_async(record_shoe_views)(subject.public_id)
    async with socket(token) as ws:
        first = await subscribe(ws, placements=["home-hero"])
        assert first["decisions"]["home-hero"]["reason"] == "CONSENT_REQUIRED"
        # When they grant it elsewhere
        await database_sync_to_async(consent_update)(
            subject=subject, purposes={"personalization": True}, source="api"
        )
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then their signals are read and used at once
    assert values(pushed) == {"home-hero": "shoes"}


async def test_window__shoe_views_leave_the_30_minutes__push_without_a_message(subject_token):
    # Given shoe views that are about to turn 30 minutes old
    subject_id, token = subject_token
    event = SignalEvent(
        type="product_view", properties={"category": "shoes"}, ts=time.time() - 1800 + 0.3
    )
    await sync_to_async(signal_store().record)(subject_id, [event] * 3)
    async with socket(token) as ws:
        assert values(await subscribe(ws, placements=["home-hero"])) == {"home-hero": "shoes"}
        # When they leave the window, with nothing sent by anyone
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then the socket notices by itself and serves the default again
    assert values(pushed) == {"home-hero": "default"}
    assert pushed["decisions"]["home-hero"]["reason"] == "DEFAULT"


async def test_subject_erased__back_to_anonymous_defaults(subject_token):
    # Given a socket with personalized decisions
    subject_id, token = subject_token
    await sync_to_async(record_shoe_views)(subject_id)
    async with socket(token) as ws:
        assert values(await subscribe(ws, placements=["home-hero"])) == {"home-hero": "shoes"}
        # When the subject is erased
        await get_channel_layer().group_send(f"subject.{subject_id}", {"type": "subject.erased"})
        pushed = await ws.receive_json_from(timeout=WAIT)
        # Then the socket serves anonymous defaults and no longer follows the subject
        assert pushed["decisions"]["home-hero"]["reason"] == "CONSENT_REQUIRED"
        await get_channel_layer().group_send(f"subject.{subject_id}", {"type": "signals.changed"})
        assert await ws.receive_nothing(timeout=0.3)


async def test_signals_changed__personalization_not_granted__store_not_read(demo_live, monkeypatch):
    # Given a subject without personalization and a store that counts reads
    subject = await database_sync_to_async(subject_create)()
    reads = []
    store = signal_store()
    original = store.awindow

    async def counting(subject_id):
        reads.append(subject_id)
        return await original(subject_id)

    monkeypatch.setattr(store, "awindow", counting)
    async with socket(subject_token_sign(subject.public_id)) as ws:
        await subscribe(ws, placements=["home-hero"])
        # When signals are announced for them
        await get_channel_layer().group_send(
            f"subject.{subject.public_id}", {"type": "signals.changed"}
        )
        # Then nothing is read or pushed
        assert await ws.receive_nothing(timeout=0.3)
    assert reads == []


async def test_resume__same_etag__resumed_without_decisions(demo_live):
    # Given the decisions a client received before a reconnect
    async with socket() as ws:
        first = await subscribe(ws, placements=HERO_RECS)
    async with socket() as ws:
        # When it resumes with the last seq and etag
        resumed = await subscribe(
            ws, placements=HERO_RECS, resume={"seq": 41, "etag": first["etag"]}
        )
        await ws.send_json_to({"type": "ping"})
        pong = await ws.receive_json_from(timeout=WAIT)
    # Then it is told its copy is current, and numbering goes on
    assert resumed["type"] == "resumed"
    assert resumed["revision"] == first["revision"]
    assert resumed["seq"] == 42
    assert pong["seq"] == 43


async def test_resume__stale_etag__full_decisions(demo_live):
    async with socket() as ws:
        # When a client resumes with decisions that are no longer current
        message = await subscribe(ws, placements=HERO_RECS, resume={"seq": 7, "etag": "old"})
    # Then it gets the current decisions, numbered after its last seq
    assert (message["type"], message["seq"]) == ("decisions", 8)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{nope", "invalid_json"),
        ('"subscribe"', "unknown_type"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "subscribe", "placements": "home-hero"}', "invalid_message"),
        ('{"type": "subscribe", "context": {"bad key!": 1}}', "invalid_message"),
        ('{"type": "subscribe", "resume": {"seq": -1}}', "invalid_message"),
        ('{"type": "subscribe", "placements": ["nope"]}', "unknown_placement"),
        ('{"type": "context", "context": {"device": "mobile"}}', "subscribe_first"),
    ],
)
async def test_message__invalid__error_and_connection_stays(demo_live, frame, code):
    async with socket() as ws:
        # When the client sends an invalid message
        await ws.send_to(text_data=frame)
        error = await ws.receive_json_from(timeout=WAIT)
        # Then it gets an error naming the problem, and the connection still answers
        await ws.send_json_to({"type": "ping"})
        pong = await ws.receive_json_from(timeout=WAIT)
    assert (error["type"], error["code"]) == ("error", code)
    assert error["message"]
    assert pong["type"] == "pong"


async def test_message__binary_frame__error(demo_live):
    async with socket() as ws:
        await ws.send_to(bytes_data=b"\x00\x01")
        error = await ws.receive_json_from(timeout=WAIT)
    assert error["code"] == "binary_frame"


async def test_message__oversize__closed_with_1009(demo_live, settings):
    # Given a limit of 1 KiB per message
    settings.TACTFUL = {**settings.TACTFUL, "WS_MAX_MESSAGE_BYTES": 1024}
    async with socket() as ws:
        # When a bigger one arrives
        await ws.send_json_to({"type": "subscribe", "context": {"pad": "x" * 1100}})
        closed = await ws.receive_output(timeout=WAIT)
    # Then the connection is closed with "message too big"
    assert closed == {"type": "websocket.close", "code": 1009, "reason": "message over 1024 bytes"}


async def test_message__flood__closed_with_4429(demo_live, settings):
    # Given a burst of 3 messages and almost no refill
    settings.TACTFUL = {**settings.TACTFUL, "WS_MESSAGE_BURST": 3, "WS_MESSAGES_PER_SECOND": 0.001}
    async with socket() as ws:
        for _ in range(3):
            await ws.send_json_to({"type": "ping"})
            assert (await ws.receive_json_from(timeout=WAIT))["type"] == "pong"
        # When a fourth comes at once
        await ws.send_json_to({"type": "ping"})
        closed = await ws.receive_output(timeout=WAIT)
    # Then the connection is closed for flooding
    assert (closed["type"], closed["code"]) == ("websocket.close", 4429)


async def test_heartbeat__idle_socket__heartbeats_with_revision_and_seq(demo_live, settings):
    # Given a heartbeat every 50 ms
    settings.TACTFUL = {**settings.TACTFUL, "WS_HEARTBEAT_SECONDS": 0.05}
    async with socket() as ws:
        first = await ws.receive_json_from(timeout=WAIT)
        second = await ws.receive_json_from(timeout=WAIT)
    # Then heartbeats arrive, numbered
    assert (first["type"], second["type"]) == ("heartbeat", "heartbeat")
    assert second["seq"] == first["seq"] + 1


async def test_subscribe__placement_deleted_by_a_revision__error_then_the_others(demo_live):
    async with socket() as ws:
        await subscribe(ws, placements=HERO_RECS, context={"device": "mobile"})
        # When a revision deletes one subscribed placement
        placement = await database_sync_to_async(Placement.objects.get)(key="recommendations")
        await database_sync_to_async(services.config_delete)(instance=placement)
        error = await ws.receive_json_from(timeout=WAIT)
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then the client is told, and keeps getting the others
    assert (error["code"], error["details"]) == (
        "unknown_placement",
        {"placements": ["recommendations"]},
    )
    assert values(pushed) == {"home-hero": "mobile"}


async def test_erasure__socket_holding_preferences__defaults_pushed_and_nothing_kept(demo_live):
    # Given an outdoor lover with signals, on an open socket that holds their preferences
    def outdoor_lover() -> tuple[str, str]:
        subject = subject_create()
        consent_update(subject=subject, purposes={"personalization": True}, source="api")
        preferences_update(subject=subject, preferences={"interests": ["outdoor"]})
        return subject.public_id, subject_token_sign(subject.public_id)

    subject_id, token = await sync_to_async(outdoor_lover)()
    async with socket(token) as ws:
        assert values(await subscribe(ws, placements=["home-hero"])) == {"home-hero": "outdoor"}
        await sync_to_async(record_shoe_views)(subject_id, 1)

        # When they erase their data
        def erase() -> int:
            client = Client()
            return client.delete(
                "/api/v1/subject", headers={"X-Tactful-Subject": token}
            ).status_code

        assert await sync_to_async(erase)() == 200
        # Then the socket's next (and only) push is the anonymous default
        pushed = await ws.receive_json_from(timeout=WAIT)
        assert pushed["decisions"]["home-hero"]["personalized"] is False
        assert await ws.receive_nothing(timeout=0.3)
    # And nothing derived from them was written again: no history, no signals
    assert await sync_to_async(decision_log_get)(subject_id=subject_id) == []
    assert (await signal_store().awindow(subject_id)).events == ()


async def test_flood__messages_after_the_close__ignored_and_released_once(demo_live, settings):
    # Given a burst of 2 messages, almost no refill, and the open-socket gauge
    settings.TACTFUL = {**settings.TACTFUL, "WS_MESSAGE_BURST": 2, "WS_MESSAGES_PER_SECOND": 0.001}
    before = sample("tactful_websockets_open")
    ws = WebsocketCommunicator(
        application, "/ws/v1/decisions", headers=[ORIGIN, (b"host", b"127.0.0.1:8000")]
    )
    assert (await ws.connect())[0]
    # When a flood goes on after the close
    for _ in range(6):
        await ws.send_json_to({"type": "ping"})
    outputs = []
    while not await ws.receive_nothing(timeout=0.3):
        outputs.append(await ws.receive_output())
    await ws.disconnect()
    # Then one close, nothing after it, and the socket is released once
    closes = [out for out in outputs if out["type"] == "websocket.close"]
    assert [close["code"] for close in closes] == [4429]
    assert outputs[-1]["type"] == "websocket.close"
    assert sample("tactful_websockets_open") == before


async def test_connect__over_the_socket_cap__refused(demo_live, settings):
    # Given a process that holds one socket at most, with one open
    settings.TACTFUL = {**settings.TACTFUL, "WS_MAX_SOCKETS": 1}
    async with socket():
        # When another one knocks
        extra = WebsocketCommunicator(
            application, "/ws/v1/decisions", headers=[ORIGIN, (b"host", b"127.0.0.1:8000")]
        )
        connected, _ = await extra.connect()
        # Then its handshake is refused
        assert connected is False
        await extra.disconnect()
    # And once the first one has gone, there is room again
    async with socket():
        pass


async def test_consent_check__withdrawal_message_lost__socket_catches_up_from_the_database(
    subject_token,
):
    # Given a socket with personalized decisions
    subject_id, token = subject_token
    await sync_to_async(record_shoe_views)(subject_id)
    async with socket(token) as ws:
        assert values(await subscribe(ws, placements=["home-hero"])) == {"home-hero": "shoes"}
        # When the visitor withdraws and every message to the socket is lost
        with mock.patch("config.broadcast.get_channel_layer", return_value=None):
            subject = await database_sync_to_async(Subject.objects.get)(public_id=subject_id)
            await database_sync_to_async(consent_withdraw)(
                subject=subject, purposes=["personalization"], source="api"
            )
        assert await ws.receive_nothing(timeout=0.3)
        # And the process's periodic check runs
        await consent_check()
        # Then the socket reads the database's newer consent and pushes the defaults
        pushed = await ws.receive_json_from(timeout=WAIT)
    assert pushed["decisions"]["home-hero"]["personalized"] is False
