"""Publish webhooks: each publication is POSTed, signed, to every active webhook.

A delivery is a row written in the publication's own transaction, so none is lost and none is
sent for a publication that did not happen. Sending happens after commit on a background
thread, never in the publish; a failed attempt is retried with exponential backoff by the
periodic `webhook_deliveries_send()` (same process or any other, after a restart too). Rows are
claimed under a lock others skip, with a lease: a sender that dies mid-send leaves its row to be
retried when the lease ends, so delivery is at least once; receivers dedupe on
X-Tactful-Delivery.

Signature (Stripe's scheme): `X-Tactful-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is
HMAC-SHA256 of `"<t>.<body>"` under the webhook's secret.
"""

import hashlib
import hmac
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from personalization.models import Revision, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

EVENT = "revision.published"
TIMEOUT_SECONDS = 5.0
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
# A claimed row is retried by anyone once this has passed (a sender died mid-send).
LEASE_SECONDS = 60
BATCH = 20


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most an hour."""
    return timedelta(
        seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    )


def webhook_deliveries_enqueue(*, revision: Revision, payload: Mapping[str, Any]) -> int:
    """Within the publication's transaction: one pending delivery per active webhook; after
    commit, a background thread sends them. The number enqueued."""
    webhooks = list(Webhook.objects.filter(active=True))
    for webhook in webhooks:
        WebhookDelivery.objects.create(
            webhook=webhook, event=EVENT, revision_number=revision.number, payload=dict(payload)
        )
    if webhooks:
        transaction.on_commit(_send_in_background)
    return len(webhooks)


def _send_in_background() -> None:
    thread = threading.Thread(target=_background, name="tactful-webhooks", daemon=True)
    thread.start()


def _background() -> None:
    try:
        webhook_deliveries_send()
    except Exception:
        # The periodic sender tries again; a publish never hears of it.
        logger.exception("webhook deliveries failed in the background")
    finally:
        connection.close()


def _claim(now: datetime, limit: int) -> list[WebhookDelivery]:
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .select_related("webhook")
            .order_by("next_attempt_at", "id")[:limit]
        )
        for delivery in due:
            delivery.attempts += 1
            delivery.last_attempt_at = now
            delivery.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
            delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    return due


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook answers where it is; a redirect is a failure, not a second destination."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(delivery: WebhookDelivery, now: datetime) -> tuple[int | None, str]:
    body = json.dumps({**delivery.payload, "delivery": delivery.pk}, sort_keys=True).encode()
    request = urllib.request.Request(
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Tactful-Webhooks/1",
            "X-Tactful-Event": delivery.event,
            "X-Tactful-Delivery": str(delivery.pk),
            "X-Tactful-Signature": signature(delivery.webhook.secret, int(now.timestamp()), body),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status), ""
    except urllib.error.HTTPError as error:
        return int(error.code), f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, str(reason)[:300] or type(error).__name__


def webhook_deliveries_send(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send the deliveries due at `now`, each claimed by one sender; the number delivered."""
    moment = now or timezone.now()
    delivered = 0
    for delivery in _claim(moment, limit):
        status, error = _post(delivery, moment)
        if status is not None and 200 <= status < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivered += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.next_attempt_at = moment + retry_delay(delivery.attempts)
        delivery.response_status = status
        delivery.error = error
        delivery.save(
            update_fields=["status", "delivered_at", "next_attempt_at", "response_status", "error"]
        )
    return delivered
