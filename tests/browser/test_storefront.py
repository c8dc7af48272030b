"""The demo storefront in a real browser: consent, live updates, tabs, outages, publishing."""

from collections.abc import Callable

import pytest

from tests.browser.conftest import MARKETER, LiveServer, Visitor, unavailable

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser

HERO = '[data-placement="home-hero"]'
STATUS = "#tactful-status"
BANNER = "#consent-banner"
SHOES = ("ridge-runner", "city-knit", "summit-boot")


def _view_product(page: Page, key: str) -> None:
    page.locator(f'[data-catalog] [data-quick-view="{key}"]').click()
    expect(page.locator("#quick-view")).to_be_visible()
    page.locator('#quick-view button[value="close"]').click()
    expect(page.locator("#quick-view")).to_be_hidden()


def _accept(page: Page) -> None:
    page.locator(f'{BANNER} [data-consent="accept"]').click()
    expect(page.locator(BANNER)).to_be_hidden()


def _shoe_intent(page: Page) -> None:
    for key in SHOES:
        _view_product(page, key)
    expect(page.locator(HERO)).to_have_attribute("data-variant", "shoes")


def test_storefront__fresh_visitor__sees_defaults_banner_and_nothing_stored(
    visitors: Callable[[], Visitor],
) -> None:
    # Given a visitor who never came before
    visitor = visitors()
    sent: list[str] = []
    visitor.context.on("request", lambda r: sent.append(f"{r.method} {r.url}"))

    # When they open the shop and look at a product without choosing
    page = visitor.open("/")
    expect(page.locator(STATUS)).to_have_attribute("data-state", "live")
    _view_product(page, "ridge-runner")

    # Then they see the defaults, and the banner with two equally prominent choices
    expect(page.locator(HERO)).to_have_attribute("data-variant", "default")
    expect(page.locator(".hero__headline")).to_have_text("Gear for every day")
    expect(page.locator(".shelf__title").first).to_have_text("Bestsellers")
    expect(page.locator(BANNER)).to_be_visible()
    reject = page.locator(f'{BANNER} [data-consent="reject"]')
    accept = page.locator(f'{BANNER} [data-consent="accept"]')
    look = (
        "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color,"
        " s.fontSize, s.fontWeight, s.borderStyle, e.offsetWidth, e.offsetHeight]; }"
    )
    assert reject.evaluate(look) == accept.evaluate(look)
    expect(page.locator(f'{BANNER} a[href="/privacy/"]')).to_be_visible()
    expect(page.locator('header a[href="/privacy/"]')).to_be_visible()

    # And nothing was stored on the device, and the product view never left the page
    assert visitor.storage(page) == {
        "cookies": [],
        "localStorage": [],
        "sessionStorage": [],
        "indexedDB": [],
    }
    assert not [r for r in sent if "/api/v1/events" in r]
    assert visitor.errors == []


def test_storefront__accept_and_three_shoe_views__hero_flips_to_shoes_live(
    visitors: Callable[[], Visitor],
) -> None:
    # Given a visitor who accepts
    visitor = visitors()
    page = visitor.open("/")
    expect(page.locator(STATUS)).to_have_attribute("data-state", "live")
    page.evaluate("window.__notReloaded = true")
    _accept(page)

    # When they look at three pairs of shoes
    for key in SHOES:
        _view_product(page, key)

    # Then the hero and the picks turn to shoes, live, without a reload
    expect(page.locator(HERO)).to_have_attribute("data-variant", "shoes")
    expect(page.locator(".hero__headline")).to_have_text("Find your next pair")
    expect(page.locator('[data-placement="recommendations"] .shelf__title')).to_have_text(
        "Picked for you: shoes"
    )
    expect(page.locator(STATUS)).to_have_attribute("data-state", "live")
    assert page.evaluate("window.__notReloaded") is True

    # And "why this?" says why, in plain words
    why = page.locator('[data-why="home-hero"]')
    why.locator("summary").click()
    expect(why).to_contain_text("Because you viewed shoes 3 times in the last 30 minutes")
    expect(why).to_contain_text("Used with your consent for: ")

    # And the only things stored are the consent choice itself, the HttpOnly subject cookie,
    # and the short-lived consent token that vouches for it to an edge (HttpOnly too)
    stored = visitor.storage(page)
    assert sorted((c["name"], c["httpOnly"]) for c in stored["cookies"]) == [
        ("tactful_consent", True),
        ("tactful_subject", True),
    ]
    assert stored["localStorage"] == stored["sessionStorage"] == []
    assert visitor.errors == []


def test_storefront__withdrawal_in_one_tab__other_tab_reverts_without_reload(
    visitors: Callable[[], Visitor],
) -> None:
    # Given a visitor who accepted and showed shoe intent, with the shop open in two tabs
    visitor = visitors()
    first = visitor.open("/")
    expect(first.locator(STATUS)).to_have_attribute("data-state", "live")
    _accept(first)
    _shoe_intent(first)
    second = visitor.open("/")
    expect(second.locator(HERO)).to_have_attribute("data-variant", "shoes")
    expect(second.locator(STATUS)).to_have_attribute("data-state", "live")
    second.evaluate("window.__notReloaded = true")

    # When they withdraw in the first tab, from the footer's privacy settings
    first.locator("[data-open-consent]").click()
    first.locator(f'{BANNER} [data-consent="reject"]').click()
    expect(first.locator(BANNER)).to_be_hidden()

    # Then both tabs are back to the defaults; the second one was not reloaded
    expect(first.locator(HERO)).to_have_attribute("data-variant", "default")
    expect(second.locator(HERO)).to_have_attribute("data-variant", "default")
    expect(second.locator(".hero__headline")).to_have_text("Gear for every day")
    expect(second.locator('[data-why="home-hero"]')).to_be_hidden()
    assert second.evaluate("window.__notReloaded") is True
    assert visitor.errors == []


def test_storefront__server_stopped__page_keeps_rendering_and_badge_says_degraded(
    visitors: Callable[[], Visitor], server: LiveServer
) -> None:
    # Given a visitor on the live shop
    visitor = visitors()
    page = visitor.open("/")
    expect(page.locator(STATUS)).to_have_attribute("data-state", "live")

    # When the server stops
    server.stop()

    # Then the page still shows the defaults, says it is degraded, and keeps working
    expect(page.locator(STATUS)).to_have_attribute("data-state", "degraded")
    expect(page.locator(STATUS)).to_have_text("degraded")
    expect(page.locator(".hero__headline")).to_have_text("Gear for every day")
    expect(page.locator(".shelf__title").first).to_have_text("Bestsellers")
    _view_product(page, "city-knit")
    result = page.evaluate("window.tactful.decide(['home-hero'])")
    assert result["state"] == "degraded"
    assert result["decisions"]["home-hero"]["value"]["headline"] == "Gear for every day"
    assert visitor.errors == []


def test_storefront__marketer_publishes_in_admin__open_page_updates(
    visitors: Callable[[], Visitor],
) -> None:
    # Given a visitor on the shop, and a marketer in the admin
    shopper = visitors()
    shop = shopper.open("/")
    expect(shop.locator(STATUS)).to_have_attribute("data-state", "live")
    shop.evaluate("window.__notReloaded = true")
    marketer = visitors()
    admin = marketer.open("/admin/login/?next=/admin/personalization/placement/")
    admin.locator("#id_username").fill(MARKETER[0])
    admin.locator("#id_password").fill(MARKETER[1])
    admin.locator('input[type="submit"]').click()

    # When the marketer changes the hero's default (its fields) and saves
    admin.get_by_role("link", name="home-hero", exact=True).click()
    default = admin.locator(".field-default_value")
    default.get_by_label("Headline").fill("Spring sale: 20% off the trail")
    default.get_by_label("Button text").fill("Shop the sale")
    default.get_by_label("Colour theme").select_option("outdoor")
    default.get_by_label("Image").select_option("hero-outdoor.svg")
    admin.locator('input[name="_save"]').click()
    expect(admin.locator(".messagelist")).to_contain_text("changed successfully")
    # ... and publishes it from Changes to publish
    admin.get_by_role("link", name="Changes to publish").first.click()
    admin.get_by_label("Why").fill("Spring sale hero")
    admin.get_by_role("button", name="Publish").click()
    expect(admin.locator(".messagelist")).to_contain_text("Published as revision")

    # Then the open shop shows it at once, without a reload
    expect(shop.locator(".hero__headline")).to_have_text("Spring sale: 20% off the trail")
    expect(shop.locator(HERO)).to_have_class("hero hero--outdoor")
    expect(shop.locator(STATUS)).to_have_attribute("data-state", "live")
    assert shop.evaluate("window.__notReloaded") is True
    assert shopper.errors == []
