"""Storefronts on another site: the SDK (Express example, header token) and stock OpenFeature.

Tactful runs on http://127.0.0.1:A; the storefronts on http://localhost:B — another origin and
another site, so Tactful's cookie cannot be used there and CORS decides what the page may do.
"""

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.conftest import (
    ROOT,
    SERVER_START_SECONDS,
    UI_TIMEOUT_MS,
    LiveServer,
    _free_port,
    unavailable,
)

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser

SDK = ROOT / "sdk"
NODE = shutil.which("node")
SHOES = "Find your next pair"


def _tactful(seeded_database: Path, tmp_path: Path, shop_origin: str) -> LiveServer:
    var_dir = tmp_path / "tactful-var"
    var_dir.mkdir()
    for source in seeded_database.glob("tactful.sqlite3*"):
        shutil.copy(source, var_dir / source.name)
    # Tactful's own host is 127.0.0.1 only: localhost is the storefronts' site.
    env = {"TACTFUL_CORS_ALLOWED_ORIGINS": shop_origin, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    return LiveServer(var_dir=var_dir, env=env)


def _wait_for(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited at start-up")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)  # polling the start-up, not timing a behaviour
    raise RuntimeError(f"{url} did not answer within {SERVER_START_SECONDS} s.")


@contextlib.contextmanager
def _shop(seeded_database: Path, tmp_path: Path, allowed: str | None = None) -> Iterator[str]:
    """The Express example storefront on localhost:B, and Tactful on 127.0.0.1:A allowing
    `allowed` (default: the storefront's origin). The storefront's URL."""
    if NODE is None:
        pytest.fail("Node.js is needed for the storefront example (make sdk installs the rest).")
    port = _free_port()
    tactful = _tactful(seeded_database, tmp_path, allowed or f"http://localhost:{port}")
    tactful.start()
    env = {**os.environ, "TACTFUL_URL": tactful.url, "PORT": str(port)}
    env["TACTFUL_TIMEOUT_MS"] = "10000"  # a fresh server answers its first requests slowly
    shop = subprocess.Popen(
        [NODE, str(SDK / "examples" / "express" / "server.mjs")],
        cwd=SDK,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/", shop)
        yield f"http://localhost:{port}"
    finally:
        shop.terminate()
        shop.wait(timeout=10)
        tactful.stop()


@pytest.fixture
def shopper(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def test_sdk_on_another_site__header_token__live_personalization_and_server_bootstrap(
    seeded_database, tmp_path, shopper
):
    with _shop(seeded_database, tmp_path) as shop_url:
        _header_token_journey(shop_url, shopper)


def _header_token_journey(shop_url: str, shopper: BrowserContext) -> None:
    errors: list[str] = []
    page = shopper.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Given a first visit to the shop on another site: the SDK goes live across origins
    page.goto(shop_url + "/")
    expect(page.locator("#state")).to_have_text("live")
    expect(page.locator("#headline")).to_have_text("Gear for every day")

    # When the visitor accepts and looks at shoes three times
    with page.expect_response("**/tactful-token") as kept:
        page.locator("#accept").click()
    assert kept.value.status == 204
    for _ in range(3):
        page.locator(".product").click()
    page.evaluate("window.tactful.flush()")

    # Then the hero turns to shoes, pushed over Tactful's socket to the other site
    expect(page.locator("#headline")).to_have_text(SHOES)
    expect(page.locator("#state")).to_have_text("live")

    # And the token lives in the shop's own first-party cookie; Tactful set none in the browser
    cookies = {(c["domain"], c["name"]) for c in shopper.cookies()}
    assert cookies == {("localhost", "tactful_token")}

    # And the next page is personalized from its first paint, by the shop's server (Node)
    html = urllib.request.urlopen(
        urllib.request.Request(
            shop_url.replace("localhost", "127.0.0.1") + "/",
            headers={"Cookie": f"tactful_token={_token(shopper)}"},
        )
    ).read()
    assert f'<h1 id="headline">{SHOES}</h1>'.encode() in html
    assert errors == []


def _token(context: BrowserContext) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "tactful_token")


def test_sdk_on_an_unlisted_site__refused_by_cors_and_the_socket__page_keeps_its_defaults(
    seeded_database, tmp_path, shopper
):
    # Given Tactful allowing some other origin only, and the shop on localhost:B
    with _shop(seeded_database, tmp_path, allowed="https://elsewhere.example") as shop_url:
        page = shopper.new_page()
        page.goto(shop_url + "/")
        # Then nothing from Tactful reaches the page, which keeps what its server rendered
        expect(page.locator("#state")).to_have_text(re.compile("^(default|degraded)$"))
        accepted = page.evaluate("window.tactful.consent.set({ personalization: true })")
        assert accepted["ok"] is False
        assert accepted["consent"]["subject"] is None
        expect(page.locator("#headline")).to_have_text("Gear for every day")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def ofrep_page(seeded_database: Path, tmp_path: Path) -> Iterator[tuple[str, LiveServer]]:
    """A static page on localhost:C with @openfeature/web-sdk + the stock OFREP web provider."""
    site = tmp_path / "site"
    site.mkdir()
    esbuild = SDK / "node_modules" / ".bin" / "esbuild"
    subprocess.run(
        [
            str(esbuild),
            str(ROOT / "tests" / "browser" / "pages" / "ofrep.js"),
            "--bundle",
            "--format=esm",
            f"--outfile={site / 'ofrep.js'}",
            "--log-level=warning",
        ],
        env={**os.environ, "NODE_PATH": str(SDK / "node_modules")},
        check=True,
        timeout=120,
    )
    (site / "index.html").write_text(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>OFREP page</title>'
        '<script type="module" src="ofrep.js"></script>'
    )
    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = httpd.server_address[1]
    tactful = _tactful(seeded_database, tmp_path, f"http://localhost:{port}")
    tactful.start()
    try:
        yield f"http://localhost:{port}/?tactful={tactful.url}", tactful
    finally:
        tactful.stop()
        httpd.shutdown()
        httpd.server_close()


def _started(page: Page, context: dict[str, object]) -> dict[str, object]:
    page.wait_for_function("() => window.flags !== undefined")
    return dict(page.evaluate("context => window.flags.start(context)", context))


def test_stock_openfeature_ofrep_provider__another_site__values_and_context_changes(
    ofrep_page, shopper
):
    url, _ = ofrep_page
    errors: list[str] = []
    page = shopper.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)

    # When the stock provider evaluates Tactful's flags for a mobile visitor
    flags = _started(page, {"device": "mobile"})

    # Then the contextual rule serves; the consent-gated one says why in metadata
    assert flags["hero"] == {
        "value": {
            "theme": "mobile",
            "headline": "Shop on the go",
            "cta": "Browse",
            "image": "hero-mobile.svg",
        },
        "variant": "mobile",
        "reason": "TARGETING_MATCH",
    }
    assert flags["recommendations"] == {
        "value": "bestsellers",
        "reason": "DEFAULT",
        "tactfulReason": "CONSENT_REQUIRED",
    }
    assert flags["shipping"] == {"value": False, "reason": "DEFAULT"}

    # When the context changes (a desktop visitor from the spring campaign)
    flags = dict(
        page.evaluate(
            "context => window.flags.context(context)",
            {"device": "desktop", "utm_campaign": "spring-sale"},
        )
    )

    # Then the values follow the new context at once
    assert flags["shipping"] == {"value": True, "reason": "TARGETING_MATCH"}
    assert json.dumps(flags["hero"]).count("mobile") == 0
    assert page.evaluate("Object.keys(localStorage)") == []
    assert errors == []
