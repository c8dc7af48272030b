"""Outcomes in a real browser: a shopper's Buy counts as a conversion, and a marketer reads the
Results page (tables, charts, warnings) from the dashboard."""

from collections.abc import Callable

import pytest

from tests.browser.conftest import MARKETER, LiveServer, Visitor, _manage, unavailable

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser


def test_storefront__buy__counted_as_a_conversion(visitors: Callable[[], Visitor]) -> None:
    # Given a shopper who accepted and opened a product
    shopper = visitors()
    page = shopper.open("/")
    page.locator('#consent-banner [data-consent="accept"]').click()
    expect(page.locator("#consent-banner")).to_be_hidden()
    page.locator('[data-catalog] [data-quick-view="basecamp-tent"]').click()
    # When they buy it
    with page.expect_response("**/api/v1/events") as answer:
        page.locator("#quick-view [data-buy]").click()
    # Then they are thanked, and the server counted a conversion of a goal
    expect(page.locator("#quick-view [data-bought]")).to_be_visible()
    body = answer.value.json()
    assert answer.value.status == 202
    assert body["conversions"] == 1
    assert body["rejected"] == []
    assert shopper.errors == []


def test_results__marketer_from_the_dashboard__tables_charts_and_winner(
    visitors: Callable[[], Visitor], server: LiveServer
) -> None:
    # Given three days of simulated measured visitors on the demo
    _manage(server.var_dir, "simulate_traffic", "--visitors=1500", "--days=3", "--seed=7")
    marketer = visitors()
    page = marketer.open("/admin/login/?next=/admin/personalization/placement/dashboard/")
    page.locator("#id_username").fill(MARKETER[0])
    page.locator("#id_password").fill(MARKETER[1])
    page.locator('input[type="submit"]').click()

    # When the marketer follows the dashboard's link to the experiment's results
    page.locator("#results-link a").click()
    page.get_by_role("link", name="Free shipping test").click()

    # Then both arms are shown against the control, with a verdict for the purchase goal
    expect(page.locator("h1")).to_have_text("Results of the experiment Free shipping test")
    purchase = page.locator('[data-goal-table="purchase"]')
    expect(purchase.locator('tr[data-group="on"] th')).to_have_text("on (control)")
    expect(purchase.locator('tr[data-group="off"] [data-relative]')).to_contain_text("%")
    expect(purchase.locator('tr[data-group="off"] [data-verdict]')).not_to_be_empty()
    expect(page.locator("[data-srm]")).to_contain_text("consistent with the planned shares")
    # And the charts are drawn, each an image with a title and a description of its figures
    charts = page.locator('svg.results-chart[role="img"]')
    assert charts.count() >= 2
    for index in range(charts.count()):
        chart = charts.nth(index)
        title_id, desc_id = chart.get_attribute("aria-labelledby").split()  # type: ignore[union-attr]
        expect(chart.locator(f'[id="{title_id}"]')).not_to_be_empty()
        expect(chart.locator(f'[id="{desc_id}"]')).to_contain_text("95 % intervals")
    assert chart.locator("polyline, line.whisker").count() > 0
    assert marketer.errors == []


def test_results__placement_without_enough_visitors__no_figures(
    visitors: Callable[[], Visitor],
) -> None:
    # Given a marketer and a placement nobody was measured on yet
    marketer = visitors()
    page = marketer.open("/admin/login/?next=/admin/personalization/goal/results/")
    page.locator("#id_username").fill(MARKETER[0])
    page.locator("#id_password").fill(MARKETER[1])
    page.locator('input[type="submit"]').click()
    # When they open its results
    page.get_by_role("link", name="Home hero").click()
    # Then no group shows a figure, and the page says why
    expect(page.locator('[data-section="overall"] td.suppressed').first).to_contain_text(
        "fewer than 50"
    )
    expect(page.locator(".help").first).to_contain_text("no holdout")
    assert page.locator('svg[role="img"].results-chart').count() == 0
