"""Placements in a real browser: a new hero from form fields, and a rule on it in the same save."""

import pytest

from tests.browser.conftest import AUTHOR, Staff, unavailable

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser


def open_placement(marketer: Staff, key: str) -> Page:
    page = marketer.go("/admin/personalization/placement/")
    page.get_by_role("link", name=key, exact=True).click()
    # The value editors are in place once the page's script ran.
    expect(page.locator(".ve-editor").first).to_be_visible()
    return page


def test_placement__new_hero_and_its_rule__one_save_without_json(sign_in) -> None:
    # Given a marketer on the home hero, on a 1366 px screen
    marketer: Staff = sign_in(AUTHOR)
    page = open_placement(marketer, "home-hero")
    page.set_viewport_size({"width": 1366, "height": 900})

    # When they fill in a new variant's fields (no JSON) ...
    variant = page.locator("#variants-3")
    variant.get_by_label("Key").fill("mobile-shoes")
    variant.get_by_label("Headline").fill("Your next pair, one tap away")
    variant.get_by_label("Button text").fill("Shop shoes")
    variant.get_by_label("Colour theme").select_option("shoes")
    variant.get_by_label("Image").select_option("hero-shoes.svg")
    # ... they see it as the storefront would show it
    frame = page.frame_locator("#variants-3 iframe")
    expect(frame.locator("h1")).to_have_text("Your next pair, one tap away")
    # ... and a rule can serve it before the variant was ever saved
    rule = page.locator("#rules-3")
    rule.get_by_label("Order").fill("5")
    rule.get_by_label("Segment").select_option(label="mobile-visitors")
    rule.get_by_label("Variant").select_option("mobile-shoes")

    # Then the page fits the screen and has no serious accessibility problem
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"
    assert marketer.accessibility_problems() == []

    # When saved once
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    # Then the rule serves the new hero to mobile visitors
    expect(page.locator("#rules-group")).to_contain_text("mobile-visitors → mobile-shoes")
    assert marketer.visitor.errors == []


def test_placement__string_value__typed_without_quotes(sign_in) -> None:
    marketer: Staff = sign_in(AUTHOR)
    page = open_placement(marketer, "recommendations")
    page.get_by_label("Default value").fill("new-arrivals")
    assert page.locator("#id_default_value").input_value() == "new-arrivals"
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.get_by_label("Default value")).to_have_value("new-arrivals")
    assert marketer.accessibility_problems() == []
