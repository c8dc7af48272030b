"""The visitor's side on a 390 px phone and with a keyboard: banner, "Why this?", privacy center."""

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import ARTIFACTS, UI_TIMEOUT_MS, LiveServer, unavailable

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

pytestmark = pytest.mark.browser

PHONE: "ViewportSize" = {"width": 390, "height": 844}
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
BANNER = "#consent-banner"


@pytest.fixture
def phones(
    browser: Browser, server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BrowserContext]]:
    """Fresh phone profiles (390 px wide); each one's tabs are saved as screenshots."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        context = browser.new_context(
            viewport=PHONE, user_agent=IPHONE, base_url=server.url, **options
        )
        context.set_default_timeout(UI_TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for c, context in enumerate(made, start=1):
        for t, page in enumerate(context.pages, start=1):
            path = ARTIFACTS / f"{request.node.name}--{c}-{t}.png"
            page.screenshot(path=str(path), full_page=True)
        context.close()


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _focused(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id || e.dataset.consent || e.textContent.trim(); }"
        )
    )


def test_why_this__390px_phone__fits_the_screen_and_shows_its_whole_text(phones):
    # Given a phone visitor from the spring campaign: the hero and the shipping strip are
    # chosen for them from context, each with its "Why this?"
    page = phones().new_page()
    page.goto("/?utm_campaign=spring-sale")
    expect(page.locator("#tactful-status")).to_have_attribute("data-state", "live")
    whys = page.locator(".why:visible")
    assert whys.count() >= 2

    for i in range(whys.count()):
        why = whys.nth(i)
        # When they open it
        why.locator("summary").click()
        body = why.locator(".why__body")
        expect(body).to_be_visible()
        # Then the page does not widen, and the explanation lies within the screen
        assert _page_width(page) <= PHONE["width"]
        box = body.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert body.evaluate("e => e.scrollWidth <= e.clientWidth")
        why.locator("summary").click()


def test_banner__keyboard__first_in_tab_order_and_focus_returns_after_a_choice(phones):
    page = phones().new_page()
    page.goto("/")
    expect(page.locator("#tactful-status")).to_have_attribute("data-state", "live")

    # When a keyboard user presses Tab on arrival, the banner's choices come first
    page.keyboard.press("Tab")
    assert _focused(page) == "reject"
    page.keyboard.press("Tab")
    assert _focused(page) == "accept"

    # When they accept with Enter
    page.keyboard.press("Enter")
    expect(page.locator(BANNER)).to_be_hidden()
    # Then focus goes to the page's content, and the choice is announced
    assert _focused(page) == "main"
    expect(page.locator("#consent-status")).to_have_text("Saved: you accepted all purposes.")

    # When they reopen the settings from the footer and reject, focus returns to that button
    page.locator("[data-open-consent]").focus()
    page.keyboard.press("Enter")
    expect(page.locator(BANNER)).to_be_visible()
    assert _focused(page) == "reject"
    page.keyboard.press("Enter")
    expect(page.locator(BANNER)).to_be_hidden()
    assert _focused(page) == "Cookie & privacy settings"
    assert _page_width(page) <= PHONE["width"]


def test_banner__browser_sends_gpc__says_so(phones):
    page = phones(extra_http_headers={"Sec-GPC": "1"}).new_page()
    page.goto("/")
    expect(page.locator(f"{BANNER} [data-gpc]")).to_be_visible()
    expect(page.locator(f"{BANNER} [data-gpc]")).to_contain_text("Global Privacy Control")


def test_banner__without_javascript__records_the_choice_and_comes_back(phones):
    # Given a phone with JavaScript off
    context = phones(java_script_enabled=False)
    page = context.new_page()
    page.goto("/?utm_campaign=spring-sale")
    expect(page.locator(BANNER)).to_be_visible()

    # When the visitor accepts
    page.locator(f'{BANNER} [data-consent="accept"]').click()

    # Then they are back on the same page, the banner is gone, and the choice is theirs (with
    # the short-lived consent token that vouches for it to an edge)
    page.wait_for_url("**/?utm_campaign=spring-sale")
    expect(page.locator(BANNER)).to_be_hidden()
    assert sorted(c["name"] for c in context.cookies()) == ["tactful_consent", "tactful_subject"]
    page.goto("/privacy/history")
    expect(page.locator("table")).to_contain_text("In the site's banner, with Accept all")


def test_privacy_center__390px_phone__back_link_and_plain_words_fit(phones):
    context = phones()
    page = context.new_page()
    page.goto("/")
    page.locator(f'{BANNER} [data-consent="accept"]').click()
    expect(page.locator(BANNER)).to_be_hidden()

    for path in ("/privacy/", "/privacy/history"):
        page.goto(path)
        # The way back to the shop is there, and nothing is wider than the phone
        expect(page.get_by_role("link", name="Back to the site")).to_be_visible()
        assert _page_width(page) <= PHONE["width"]
    expect(page.locator("table")).to_contain_text("Allowed")
    assert "accept-all" not in page.content()
