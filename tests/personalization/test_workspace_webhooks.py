"""Publish webhooks: signed, sent after commit in the background, retried with backoff, logged."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from personalization import services
from personalization.models import Placement, Webhook, WebhookDelivery
from personalization.workspace.webhooks import (
    MAX_ATTEMPTS,
    retry_delay,
    webhook_deliveries_send,
)

pytestmark = pytest.mark.django_db
WAIT = 10.0


@dataclass
class Receiver:
    """A throw-away HTTP endpoint: records what it receives, answers `status`."""

    url: str
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    got_one: threading.Event = field(default_factory=threading.Event)
    # While cleared, the endpoint holds its answer (a slow receiver).
    answer: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    state.answer.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append({"headers": dict(self.headers), "body": body})
            state.got_one.set()
            state.answer.wait(WAIT)
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tactful"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.answer.set()
    server.shutdown()
    server.server_close()


def disable_banner() -> None:
    services.placement_set_enabled(
        placement=Placement.objects.get(key="free-shipping-banner"), enabled=False
    )


def test_publish__active_webhook__one_delivery_in_the_same_transaction(demo, receiver):
    Webhook.objects.create(name="CDN purge", url=receiver.url)
    Webhook.objects.create(name="Off", url=receiver.url, active=False)
    disable_banner()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.webhook.name, delivery.status) == ("CDN purge", "pending")
    assert delivery.payload["changes"] == [{"section": "placements", "key": "free-shipping-banner"}]
    assert delivery.payload["message"] == "Disabled placement free-shipping-banner"


def test_send__receiver_ok__signed_with_the_secret_and_logged_delivered(demo, receiver):
    # Given a publication waiting to be delivered
    hook = Webhook.objects.create(name="Slack", url=receiver.url, secret="s3cret")
    disable_banner()
    # When the deliveries are sent
    assert webhook_deliveries_send() == 1
    # Then the receiver got the publication, with a signature it can check with the secret
    [request] = receiver.received
    headers, body = request["headers"], request["body"]
    timestamp, signed = headers["X-Tactful-Signature"].removeprefix("t=").split(",v1=")
    expected = hmac.new(b"s3cret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signed, expected)
    payload = json.loads(body)
    delivery = hook.deliveries.get()
    assert (payload["event"], payload["delivery"]) == ("revision.published", delivery.pk)
    assert headers["X-Tactful-Delivery"] == str(delivery.pk)
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("delivered", 200, 1)


def test_send__receiver_fails__retried_with_backoff_then_given_up(demo, receiver):
    receiver.status = 503
    Webhook.objects.create(name="Flaky", url=receiver.url)
    disable_banner()
    now = timezone.now()
    # First failure: retried 30 s later, not before
    assert webhook_deliveries_send(now=now) == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status, delivery.error) == (
        "pending",
        503,
        "HTTP 503",
    )
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    webhook_deliveries_send(now=now + timedelta(seconds=29))
    assert len(receiver.received) == 1
    # Each later failure waits twice as long, until it gives up
    moment = now
    for attempt in range(2, MAX_ATTEMPTS + 1):
        moment += retry_delay(attempt - 1)
        webhook_deliveries_send(now=moment)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(receiver.received)) == (
        "failed",
        MAX_ATTEMPTS,
        MAX_ATTEMPTS,
    )
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_send__unreachable__error_recorded_and_retried(demo):
    Webhook.objects.create(name="Gone", url="http://127.0.0.1:9/nothing")
    disable_banner()
    webhook_deliveries_send()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending" and delivery.response_status is None
    assert delivery.error


def test_send__redirect__a_failure_not_a_second_destination(demo, receiver):
    receiver.status = 302
    Webhook.objects.create(name="Moved", url=receiver.url)
    disable_banner()
    webhook_deliveries_send()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status) == ("pending", 302)


@pytest.mark.django_db(transaction=True)
def test_publish__slow_receiver__publish_returns_at_once_delivery_follows(demo_live, receiver):
    # Given a receiver that holds its answer until told
    receiver.answer.clear()
    Webhook.objects.create(name="Slow", url=receiver.url)
    # When a change is published (and committed)
    disable_banner()
    # Then the publish has returned while the receiver still holds the delivery
    assert receiver.got_one.wait(WAIT), "the delivery never left"
    assert WebhookDelivery.objects.get().status == "pending"
    # And once the receiver answers, the delivery is logged as delivered
    receiver.answer.set()
    delivered = threading.Event()

    def delivered_yet() -> bool:
        return WebhookDelivery.objects.filter(status="delivered").exists()

    for _ in range(int(WAIT * 20)):
        if delivered_yet():
            delivered.set()
            break
        delivered.wait(0.05)  # polling the background sender's result, not timing it
    assert delivered_yet()
