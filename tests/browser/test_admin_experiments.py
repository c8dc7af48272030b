"""The experiment form in a real browser: arms in percent that must add up, its rule made for it."""

import pytest

from tests.browser.conftest import AUTHOR, Staff, unavailable

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser


def test_experiment_form__arms_in_percent__sum_shown_and_rule_created(sign_in) -> None:
    # Given a marketer starting an experiment on the home hero
    marketer: Staff = sign_in(AUTHOR)
    page = marketer.go("/admin/personalization/experiment/add/")
    expect(page.locator("#arms-sum")).to_be_visible()
    page.get_by_label("Name").fill("Hero shoes or outdoor")
    page.get_by_label("Status").select_option("running")
    page.get_by_label("Placement").select_option(label="home-hero")
    page.get_by_label("Who takes part").select_option(label="mobile-visitors")
    page.get_by_label("Coverage %").fill("80")

    # When the arms' weights do not add up yet, the page says so as they type
    arms = page.locator("#arms-group")
    arms.get_by_label("Variant, arm 1").select_option(label="home-hero: shoes")
    arms.get_by_label("Weight %, arm 1").fill("60")
    arms.get_by_label("Variant, arm 2").select_option(label="home-hero: outdoor")
    arms.get_by_label("Weight %, arm 2").fill("30")
    expect(page.locator("#arms-sum")).to_have_text(
        "The weights add up to 90 %; they must add up to 100 %."
    )
    # And only the hero's variants are offered
    assert "recommendations: shoes-first" not in arms.get_by_label("Variant, arm 1").evaluate(
        "s => [...s.options].filter(o => !o.hidden).map(o => o.textContent).join()"
    )
    assert marketer.accessibility_problems() == []

    # When they fix it and save
    arms.get_by_label("Weight %, arm 2").fill("40")
    expect(page.locator("#arms-sum")).to_have_text("The weights add up to 100 %.")
    page.get_by_role("button", name="Save", exact=True).click()

    # Then it is saved, and its rule runs first in the hero
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#result_list")).to_contain_text("80 %")
    page = marketer.go("/admin/personalization/placement/")
    page.get_by_role("link", name="home-hero", exact=True).click()
    expect(page.locator("#rules-0")).to_contain_text("mobile-visitors → hero-shoes-or-outdoor")
    assert marketer.visitor.errors == []
