"""The SDK's Node bootstrap example (`sdk/examples/express`), against a live Tactful."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

SDK = Path(__file__).resolve().parents[2] / "sdk"
pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def shop(live_server, demo_live) -> Iterator[str]:
    """The example storefront (node), asking the live Tactful server."""
    node = shutil.which("node")
    if node is None or not (SDK / "node_modules" / "express").exists():
        pytest.fail("Node.js and the SDK's packages are needed: run `make sdk`.")
    if not (SDK / "dist" / "index.js").exists():
        pytest.fail("The SDK is not built: run `make sdk`.")
    port = _free_port()
    # A test server answers its first requests slowly: wait for them rather than the defaults.
    env = {**os.environ, "TACTFUL_URL": live_server.url, "PORT": str(port), "TACTFUL_TIMEOUT_MS": "10000"}
    process = subprocess.Popen(
        [node, "examples/express/server.mjs"],
        cwd=SDK,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/sdk/index.js", timeout=1).close()
                break
            except (urllib.error.URLError, OSError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the example did not start") from None
                time.sleep(0.1)  # polling the start-up, not timing a behaviour
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_express_example__campaign_visitor__server_renders_tactful_decisions(shop):
    # When an anonymous visitor arrives from the spring campaign
    html = urllib.request.urlopen(f"{shop}/?utm_campaign=spring-sale").read().decode()

    # Then the first paint shows free shipping, and the SDK gets the same decisions
    assert '<p id="shipping">Free shipping this week</p>' in html
    found = re.search(r'id="tactful-bootstrap" type="application/json">(.*?)</script>', html)
    assert found is not None
    boot = json.loads(found.group(1))
    assert boot["decisions"]["free-shipping-banner"]["value"] is True
    assert boot["subjectToken"] is None
    # And the page loads the SDK from the installed package, served by the shop
    assert 'import { createClient } from "/sdk/index.js";' in html


def test_express_example__token_endpoint__first_party_cookie(shop):
    request = urllib.request.Request(f"{shop}/tactful-token", data=b"abc.2:1x:sig", method="POST")
    request.add_header("Content-Type", "text/plain")
    with urllib.request.urlopen(request) as response:
        assert response.status == 204
        cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("tactful_token=abc.2%3A1x%3Asig") and "HttpOnly" in cookie
    bad = urllib.request.Request(f"{shop}/tactful-token", data=b"<x>", method="POST")
    bad.add_header("Content-Type", "text/plain")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(bad)
    assert refused.value.code == 400
