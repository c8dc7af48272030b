"""Global Privacy Control, one rule on every path: PUT, GET, decide, OFREP and the socket agree,
before and after an explicit re-consent in the privacy center."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from consent.services import consent_update, subject_create
from consent.tokens import SUBJECT_COOKIE, subject_token_sign
from personalization import services

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_process")]

GPC = {"Sec-GPC": "1"}
WAIT = 3


@pytest.fixture
def advertising_experiment(demo_live: None) -> None:
    """A placement whose only rule is an experiment that needs `advertising` consent."""
    placement = services.placement_create(
        key="partner-offer",
        name="Partner offer",
        value_type="string",
        default_value="none",
        variants={"a": "a", "b": "b"},
    )
    experiment = services.experiment_create(
        key="partner-test",
        name="Partner test",
        placement=placement,
        arms=[("a", 0.5), ("b", 0.5)],
        status="running",
        required_purpose="advertising",
    )
    services.rule_create(placement=placement, experiment=experiment)


@pytest.fixture
def advertiser(advertising_experiment: None) -> str:
    """A subject who allowed advertising in the banner, before any GPC signal: their token."""
    subject = subject_create()
    consent_update(subject=subject, purposes={"advertising": True}, source="banner")
    return subject_token_sign(subject.public_id)


def http_views(token: str, headers: dict[str, str]) -> dict[str, Any]:
    """What each HTTP path says of advertising for the visitor with `token`."""
    client = Client()
    client.cookies[SUBJECT_COOKIE] = token
    consent = client.get("/api/v1/consent", headers=headers).json()
    decide = client.post(
        "/api/v1/decide",
        {"placements": ["partner-offer"]},
        content_type="application/json",
        headers=headers,
    ).json()
    ofrep = client.post(
        "/ofrep/v1/evaluate/flags/partner-offer",
        {"context": {}},
        content_type="application/json",
        headers=headers,
    ).json()
    return {
        "consent": (consent["purposes"]["advertising"], consent["gpc"]),
        "decide": decide["decisions"]["partner-offer"]["reason"],
        "ofrep": ofrep["metadata"]["reason"],
    }


@contextlib.asynccontextmanager
async def socket(token: str, *, gpc: bool) -> AsyncIterator[WebsocketCommunicator]:
    headers = [
        (b"origin", b"http://127.0.0.1:8000"),
        (b"host", b"127.0.0.1:8000"),
        (b"cookie", f"tactful_subject={token}".encode()),
    ]
    if gpc:
        headers.append((b"sec-gpc", b"1"))
    communicator = WebsocketCommunicator(application, "/ws/v1/decisions", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    try:
        yield communicator
    finally:
        await communicator.disconnect()


async def socket_reason(token: str, *, gpc: bool) -> str:
    async with socket(token, gpc=gpc) as ws:
        await ws.send_json_to({"type": "subscribe", "placements": ["partner-offer"]})
        message = await ws.receive_json_from(timeout=WAIT)
    return str(message["decisions"]["partner-offer"]["reason"])


def test_consent_put__gpc_header_and_an_advertising_grant__advertising_stays_off(
    advertising_experiment,
):
    # Given a new visitor whose browser sends GPC
    client = Client()
    # When they grant advertising over the API (the banner's Accept all)
    response = client.put(
        "/api/v1/consent",
        {"purposes": {"advertising": True, "personalization": True}, "source": "banner"},
        content_type="application/json",
        headers=GPC,
    )
    # Then GPC is recorded and wins; the other purpose is granted as asked
    body = response.json()
    assert response.status_code == 200
    assert (body["purposes"]["advertising"], body["gpc"]) == (False, True)
    assert body["purposes"]["personalization"] is True
    assert body["basis"]["advertising"] == "gpc"


async def test_gpc__without_reconsent__every_transport_turns_advertising_off(advertiser):
    # When the advertiser's browser starts sending GPC
    http = await sync_to_async(http_views)(advertiser, GPC)
    socket_with_gpc = await socket_reason(advertiser, gpc=True)
    # Then HTTP and the socket agree: no advertising
    assert http == {
        "consent": (False, True),
        "decide": "CONSENT_REQUIRED",
        "ofrep": "CONSENT_REQUIRED",
    }
    assert socket_with_gpc == "CONSENT_REQUIRED"
    # And the signal binds later requests without the header too
    without = await sync_to_async(http_views)(advertiser, {})
    assert without == {
        "consent": (False, True),
        "decide": "CONSENT_REQUIRED",
        "ofrep": "CONSENT_REQUIRED",
    }
    assert await socket_reason(advertiser, gpc=False) == "CONSENT_REQUIRED"


async def test_gpc__after_reconsent_in_the_privacy_center__every_transport_allows_it(advertiser):
    # Given the GPC signal recorded for the advertiser
    await sync_to_async(http_views)(advertiser, GPC)

    # When they allow advertising again, explicitly, in the privacy center
    def reconsent() -> int:
        client = Client()
        client.cookies[SUBJECT_COOKIE] = advertiser
        response = client.post("/privacy/gpc-reconsent", {"confirm": "on"}, headers=GPC)
        return response.status_code

    assert await sync_to_async(reconsent)() == 302
    # Then HTTP and the socket agree, with the header still sent: the re-consent outranks GPC
    http = await sync_to_async(http_views)(advertiser, GPC)
    assert http == {"consent": (True, True), "decide": "SPLIT", "ofrep": "SPLIT"}
    assert await socket_reason(advertiser, gpc=True) == "SPLIT"
