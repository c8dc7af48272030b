"""A publish reaches a process's sockets through its one listener, which decides once per inputs."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from consent.models import Subject
from consent.services import consent_update, preferences_update, subject_create
from consent.tokens import subject_token_sign
from personalization import services, serving
from personalization.models import Placement
from personalization.snapshot import REVISIONS_GROUP
from tests.observability.samples import sample

# Sockets read the database from other threads, so the test data is committed for real.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_process")]

HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
SPRING = {"utm_campaign": "spring-sale"}
BANNER_DISABLED = {
    "placement": "free-shipping-banner",
    "reason": "DISABLED",
    "personalized": "false",
}
WAIT = 3


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The subject of every decision the engine makes from now on (None: anonymous)."""
    made: list[str | None] = []
    decide_on = serving.decide_on

    def counting(*args: Any, **kwargs: Any) -> serving.Decisions:
        made.append(kwargs["consent"].subject_id)
        return decide_on(*args, **kwargs)

    monkeypatch.setattr(serving, "decide_on", counting)
    return made


def consented_subject(**preferences: list[str]) -> str:
    subject = subject_create()
    consent_update(subject=subject, purposes={"personalization": True}, source="api")
    if preferences:
        preferences_update(subject=subject, preferences=preferences)
    return subject_token_sign(subject.public_id)


@contextlib.asynccontextmanager
async def subscribed(
    placements: list[str], context: dict[str, Any], token: str | None = None
) -> AsyncIterator[tuple[WebsocketCommunicator, dict[str, Any]]]:
    headers = [*HEADERS, (b"cookie", f"tactful_subject={token}".encode())] if token else HEADERS
    ws = WebsocketCommunicator(application, "/ws/v1/decisions", headers=headers)
    assert (await ws.connect())[0]
    try:
        await ws.send_json_to({"type": "subscribe", "placements": placements, "context": context})
        first = await ws.receive_json_from(timeout=WAIT)
        assert first["type"] == "decisions"
        yield ws, first
    finally:
        await ws.disconnect()


def banner_off() -> None:
    banner = Placement.objects.get(key="free-shipping-banner")
    services.placement_set_enabled(placement=banner, enabled=False)


def recommendations_off() -> None:
    recommendations = Placement.objects.get(key="recommendations")
    services.placement_set_enabled(placement=recommendations, enabled=False)


async def test_sockets__open__only_the_process_listener_joins_the_revisions_group(
    demo_live, monkeypatch
):
    # Given a channel layer that records who joins the revisions group
    layer = get_channel_layer()
    group_add = layer.group_add
    joined: list[str] = []

    async def recording(group: str, channel: str) -> None:
        if group == REVISIONS_GROUP:
            joined.append(channel)
        await group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", recording)
    # When three sockets open and subscribe
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            (await stack.enter_async_context(subscribed(["free-shipping-banner"], SPRING)))[0]
            for _ in range(3)
        ]
        # Then one channel joined: a publish is one message for the process, not one per socket
        assert len(joined) == 1
        # And a publish reaches every socket all the same
        await database_sync_to_async(banner_off)()
        for ws in sockets:
            pushed = await ws.receive_json_from(timeout=WAIT)
            assert pushed["decisions"]["free-shipping-banner"]["reason"] == "DISABLED"


async def test_publish__anonymous_sockets_with_the_same_inputs__decided_once(
    demo_live, evaluations
):
    # Given three anonymous sockets from the spring campaign and one with no context
    async with contextlib.AsyncExitStack() as stack:
        spring = [
            (await stack.enter_async_context(subscribed(["free-shipping-banner"], SPRING)))[0]
            for _ in range(3)
        ]
        plain, _ = await stack.enter_async_context(subscribed(["free-shipping-banner"], {}))
        evaluations.clear()
        served_before = sample("tactful_decisions_total", **BANNER_DISABLED)
        # When the banner is switched off
        await database_sync_to_async(banner_off)()
        pushes = [await ws.receive_json_from(timeout=WAIT) for ws in [*spring, plain]]
    # Then every socket gets it
    for pushed in pushes:
        assert pushed["decisions"]["free-shipping-banner"]["reason"] == "DISABLED"
    # And the engine decided once per distinct inputs, not once per socket
    assert evaluations == [None, None]
    # While the metrics count every decision served
    assert sample("tactful_decisions_total", **BANNER_DISABLED) == served_before + 4


async def test_publish__subjects_with_the_same_inputs__each_decided_for_themselves(
    demo_live, evaluations
):
    # Given two consented visitors with the same context (their ids bucket experiments)
    tokens = [await database_sync_to_async(consented_subject)() for _ in range(2)]
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            (await stack.enter_async_context(subscribed(["free-shipping-banner"], SPRING, t)))[0]
            for t in tokens
        ]
        evaluations.clear()
        # When the banner is switched off
        await database_sync_to_async(banner_off)()
        for ws in sockets:
            assert (await ws.receive_json_from(timeout=WAIT))["type"] == "decisions"
    # Then each was decided on their own
    assert len(evaluations) == 2
    assert None not in evaluations


async def test_publish__preferences_kept_by_the_socket__not_read_again(demo_live, monkeypatch):
    # Given a visitor who chose the outdoor interest, on an open socket
    token = await database_sync_to_async(consented_subject)(interests=["outdoor"])
    async with subscribed(["home-hero", "recommendations"], {}, token) as (ws, first):
        assert first["decisions"]["home-hero"]["variant"] == "outdoor"

        # When a revision is published, with the consent store out of reach
        def unreachable(**kwargs: Any) -> Any:
            raise AssertionError("consent read on a revision push")

        monkeypatch.setattr("consent.services.requests.consent_resolve", unreachable)
        await database_sync_to_async(recommendations_off)()
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then the push still decides with the preferences the socket holds
    assert pushed["decisions"]["recommendations"]["reason"] == "DISABLED"
    assert pushed["decisions"]["home-hero"]["variant"] == "outdoor"


async def test_preferences__changed_on_another_tab__pushed_with_the_new_choice(demo_live):
    # Given a consented visitor with no preference, on an open socket
    token = await database_sync_to_async(consented_subject)()
    async with subscribed(["home-hero"], {}, token) as (ws, first):
        assert first["decisions"]["home-hero"]["variant"] == "default"
        # When they choose the outdoor interest elsewhere
        subject = await database_sync_to_async(Subject.objects.latest)("created_at")
        await database_sync_to_async(preferences_update)(
            subject=subject, preferences={"interests": ["outdoor"]}
        )
        pushed = await ws.receive_json_from(timeout=WAIT)
    # Then the socket reads them again and pushes the new decision
    assert pushed["decisions"]["home-hero"]["variant"] == "outdoor"
    assert pushed["changed"] == ["home-hero"]
