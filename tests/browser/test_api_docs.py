"""The API docs in a real browser with no way out: Swagger UI and Redoc render from Tactful."""

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import UI_TIMEOUT_MS, LiveServer, unavailable

try:
    from playwright.sync_api import Browser, Page, Route, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser


@pytest.fixture
def offline_page(browser: Browser, server: LiveServer) -> Iterator[tuple[Page, list[str]]]:
    """A tab that can reach the Tactful server only; whatever else it asks for is recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    elsewhere: list[str] = []

    def route(route: Route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(server.url).netloc:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    try:
        yield context.new_page(), elsewhere
    finally:
        context.close()


def test_api_docs__swagger_ui_offline__shows_operations_and_examples(offline_page, server):
    page, elsewhere = offline_page
    # When the docs open with no internet
    page.goto(f"{server.url}/api/docs/")
    # Then Swagger UI renders every tag's operations, from this server alone
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/decide").first).to_be_visible()
    page.locator('.opblock-post:has([data-path="/api/v1/decide"]) .opblock-summary').click()
    expect(page.get_by_text("Two placements for a mobile visitor").first).to_be_attached()
    assert elsewhere == []


def test_api_docs__redoc_offline__renders(offline_page, server):
    page, elsewhere = offline_page
    # When Redoc opens with no internet
    page.goto(f"{server.url}/api/redoc/")
    # Then it renders the API, from this server alone
    expect(page.get_by_role("heading", name="Tactful API").first).to_be_visible()
    expect(
        page.get_by_role("heading", name="Decide placements for the current visitor")
    ).to_be_visible()
    assert elsewhere == []
