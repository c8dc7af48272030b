"""History in a real browser: the audit log filtered and exported, a signed webhook and its log."""

import csv
import hashlib
import hmac
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.browser.conftest import MARKETER, Staff, unavailable

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]], threading.Event]]:
    """A throw-away endpoint in the test process that the live server posts to."""
    received: list[dict[str, Any]] = []
    got_one = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"headers": dict(self.headers), "body": body})
            self.send_response(204)
            self.end_headers()
            got_one.set()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tactful", received, got_one
    server.shutdown()
    server.server_close()


def test_history__kill_switch_webhook_and_audit_csv(sign_in, receiver) -> None:
    url, received, got_one = receiver
    admin: Staff = sign_in(MARKETER)

    # Given a webhook, set up in the admin
    page = admin.go("/admin/personalization/webhook/add/")
    page.get_by_label("Name").fill("Team chat")
    page.get_by_label("URL").fill(url)
    secret = page.get_by_label("Secret").input_value()
    assert admin.accessibility_problems() == []
    page.get_by_role("button", name="Save", exact=True).click()

    # When the banner is switched off with the kill switch (published at once)
    page = admin.go("/admin/personalization/placement/")
    page.get_by_role("row", name="free-shipping-banner").get_by_role("checkbox").check()
    page.locator('select[name="action"]').select_option(label="Kill switch: switch off now")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("live now: free-shipping-banner")

    # Then the webhook is told, signed with its secret
    assert got_one.wait(10), "no delivery arrived"
    [request] = received
    stamp, signed = request["headers"]["X-Tactful-Signature"].removeprefix("t=").split(",v1=")
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + request["body"], hashlib.sha256)
    assert hmac.compare_digest(signed, digest.hexdigest())
    # And the delivery log says so
    page = admin.go("/admin/personalization/webhookdelivery/")
    for _ in range(50):  # the log row is written just after the answer: poll it
        if "Delivered" in page.locator("#result_list").inner_text():
            break
        page.wait_for_timeout(100)
        page.reload()
    expect(page.locator("#result_list")).to_contain_text("Delivered")
    assert admin.accessibility_problems() == []

    # When the audit log is filtered to publications and exported
    page = admin.go("/admin/personalization/auditentry/")
    page.locator("#changelist-filter").get_by_role("link", name="Published").click()
    expect(page.locator("#result_list")).to_contain_text("Disabled placement free-shipping-banner")
    assert admin.accessibility_problems() == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Export as CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        rows = list(csv.DictReader(io.StringIO(exported.read())))
    # Then the file holds the same selection: every publication, the kill switch last
    assert {row["action"] for row in rows} == {"Published"}
    assert rows[-1]["details"] == "Disabled placement free-shipping-banner"
    assert rows[-1]["who"] == MARKETER[0]
