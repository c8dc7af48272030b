"""Drafts and four eyes in a real browser: nothing live until published; approval by another."""

import pytest

from tests.browser.conftest import AUTHOR, REVIEWER, Staff, unavailable

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser


def edit_hero(marketer: Staff) -> Page:
    page = marketer.go("/admin/personalization/placement/")
    page.get_by_role("link", name="home-hero", exact=True).click()
    expect(page.locator(".ve-editor").first).to_be_visible()
    return page


def test_drafts__hero_headline__diff_in_words_then_published(sign_in) -> None:
    # Given a marketer who changes the hero's default headline and saves
    marketer: Staff = sign_in(AUTHOR)
    page = edit_hero(marketer)
    page.locator(".field-default_value").get_by_label("Headline").fill("Gear for every season")
    page.get_by_role("button", name="Save", exact=True).click()
    # Then it is a draft, said so, and the storefront still shows the old headline
    expect(page.locator(".messagelist")).to_contain_text("Saved as a draft")
    expect(page.locator("#result_list")).to_contain_text("draft, not published")
    shop = marketer.visitor.context.new_page()
    shop.goto(marketer.visitor.base_url + "/")
    expect(shop.locator(".hero__headline")).to_have_text("Gear for every day")

    # When they open Changes to publish
    page.get_by_role("link", name="Changes to publish (1)").click()
    # Then the difference reads as words, not JSON
    diff = page.locator(".ws-diff li").first
    expect(diff).to_contain_text("Headline of the default value:")
    expect(diff.locator("del")).to_have_text("was Gear for every day")
    expect(diff.locator("ins")).to_have_text("now Gear for every season")
    assert marketer.accessibility_problems() == []
    # When they publish it with a reason
    page.get_by_label("Why").fill("Seasonal headline")
    page.get_by_role("button", name="Publish").click()
    # Then it is live
    expect(page.locator(".messagelist")).to_contain_text("Published as revision r2")
    expect(page.locator("#content-main")).to_contain_text("Nothing to publish")
    shop.reload()
    expect(shop.locator(".hero__headline")).to_have_text("Gear for every season")


@pytest.mark.server_env(TACTFUL_REQUIRE_APPROVAL="true")
def test_four_eyes__behaviour_rule__approved_by_another_marketer_then_published(sign_in) -> None:
    # Given a marketer who serves the outdoor hero to shoe-intent visitors (behaviour)
    author: Staff = sign_in(AUTHOR)
    page = edit_hero(author)
    rule = page.locator("#rules-3")
    rule.get_by_label("Order").fill("5")
    rule.get_by_label("Segment").select_option(label="shoe-intent")
    rule.get_by_label("Variant").select_option("outdoor")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("link", name="Changes to publish (1)").click()
    page.get_by_label("Why").fill("Outdoor for shoe fans")
    page.get_by_role("button", name="Publish").click()

    # Then it waits for someone else's approval, and says why; its author cannot approve it
    expect(page.locator(".messagelist")).to_contain_text("waiting for someone else's approval")
    expect(page.locator("#content-main")).to_contain_text(
        "A rule of home-hero uses segment shoe-intent, which reads behaviour or preferences."
    )
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.locator("#content-main")).to_contain_text("you cannot approve your own changes")
    review_url = page.url
    assert author.accessibility_problems() == []

    # When another marketer approves it and publishes it
    reviewer: Staff = sign_in(REVIEWER)
    page = reviewer.go("/admin/personalization/changeset/")
    page.get_by_role("link", name="#1").click()
    assert page.url == review_url
    page.get_by_label("Note for the author").fill("Fine by me")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved.")
    assert reviewer.accessibility_problems() == []
    page.get_by_role("button", name="Publish now").click()

    # Then it is live, with who approved it
    expect(page.locator(".messagelist")).to_contain_text("Published as revision r2")
    expect(page.locator(".ws-facts")).to_contain_text("Approved by")
    expect(page.locator(".ws-facts")).to_contain_text("Fine by me")
