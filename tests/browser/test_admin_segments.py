"""The segment builder in a real browser: a marketer builds a segment without writing JSON."""

import json

import pytest

from tests.browser.conftest import AUTHOR, Staff, unavailable

try:
    from playwright.sync_api import Page, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser

SHOES = "Product view with category …: times in the last 30 minutes"


def open_segment_form(marketer: Staff) -> Page:
    page = marketer.go("/admin/personalization/segment/add/")
    # The builder is in place once the page's script ran.
    expect(page.locator(".cb-toolbar")).to_be_visible()
    return page


def add_condition(page: Page, n: int, attribute: str, operator: str, value: str) -> None:
    page.get_by_role("button", name="Add a condition").first.click()
    page.get_by_label(f"Attribute of condition {n}").select_option(label=attribute)
    page.get_by_label(f"Operator of condition {n}").select_option(label=operator)
    page.get_by_label(f"Value of condition {n}").fill(value)


def test_segment_builder__mobile_shoe_viewers__built_checked_and_saved_without_json(
    sign_in,
) -> None:
    # Given a marketer on a new segment
    marketer: Staff = sign_in(AUTHOR)
    page = open_segment_form(marketer)
    page.get_by_label("Name").fill("Mobile shoe fans")

    # When they pick "Device is mobile" and "viewed shoes at least 3 times in 30 minutes"
    add_condition(page, 1, "Device", "is", "mobile")
    add_condition(page, 2, SHOES, "is at least", "3")
    page.get_by_label("Category of condition 2").fill("shoes")

    # Then the page says, as they type, what it means and which consent it needs
    summary = page.locator(".cb-summary")
    expect(summary).to_contain_text("Needs consent for: personalization.")
    expect(summary).to_contain_text(
        "Device is mobile and Product view with category shoes: times in the last 30 minutes "
        "is at least 3"
    )
    # And a sample visitor can be tried against it
    page.get_by_text("Try it on a sample visitor").click()
    page.get_by_label("Device", exact=True).fill("mobile")
    page.get_by_label("Product view with category shoes: times in the last 30 minutes").fill("3")
    expect(page.locator(".cb-match")).to_have_text("This sample visitor is in the segment.")
    assert marketer.accessibility_problems() == []

    # And the JSON view holds exactly that condition, and the builder comes back unchanged
    page.get_by_role("button", name="JSON").click()
    condition = {
        "context.device": "mobile",
        "signals.product_view.category.shoes.count_30m": {"$gte": 3},
    }
    assert json.loads(page.locator("#id_condition").input_value()) == condition
    page.get_by_role("button", name="Builder").click()
    expect(page.get_by_label("Value of condition 2")).to_have_value("3")

    # When saved
    page.get_by_role("button", name="Save", exact=True).click()
    # Then it is in the list, in words
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#result_list")).to_contain_text("Mobile shoe fans")
    assert marketer.visitor.errors == []


def test_segment_builder__mistyped_attribute__error_next_to_its_row(sign_in) -> None:
    # Given a marketer typing an attribute by hand, with a typo
    marketer: Staff = sign_in(AUTHOR)
    page = open_segment_form(marketer)
    page.get_by_role("button", name="Add a condition").click()
    page.get_by_label("Attribute of condition 1").select_option(
        label="Another attribute (type its name)…"
    )
    page.get_by_label("Attribute name of condition 1").fill("signals.product_veiw.count_30m")
    page.get_by_label("Operator of condition 1").select_option(label="is at least")
    page.get_by_label("Value of condition 1").fill("3")

    # Then the row says what is wrong and how to fix it, and the attribute is marked invalid
    row = page.locator(".cb-row").first
    expect(row.locator(".cb-errors")).to_contain_text(
        'Did you mean "signals.product_view.count_30m"?'
    )
    expect(page.get_by_label("Attribute name of condition 1")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert marketer.accessibility_problems() == []

    # And saving is stopped at that row, with nothing saved
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("Attribute of condition 1")).to_be_focused()
    assert "/add/" in page.url


def test_segment_builder__no_javascript_json__errors_at_the_field(sign_in) -> None:
    # Given the JSON view (as without the builder), with an unknown operator
    marketer: Staff = sign_in(AUTHOR)
    page = open_segment_form(marketer)
    page.get_by_label("Name").fill("Broken")
    page.get_by_role("button", name="JSON").click()
    page.locator("#id_condition").fill('{"context.device": {"$nope": 1}}')
    # When saved
    page.get_by_role("button", name="Save", exact=True).click()
    # Then the form comes back with the problem at the condition
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-condition .errorlist")).to_contain_text('Unknown operator "$nope"')
    assert marketer.accessibility_problems() == []


def test_segment_builder__nested_groups__json_and_builder_round_trip_exactly(sign_in) -> None:
    # Given a power user's condition with nested groups, a negation and an advanced operator
    condition = {
        "context.device": "mobile",
        "$or": [
            {"prefs.interests": {"$elemMatch": {"$eq": "outdoor"}}},
            {"context.local_hour": {"$gte": 18}, "context.page": {"$in": ["home", "cart"]}},
        ],
        "$not": {"context.utm_campaign": {"$exists": True}},
        "context.locale": {"$regex": "^fr", "$ne": "fr-CA"},
    }
    marketer: Staff = sign_in(AUTHOR)
    page = open_segment_form(marketer)
    page.get_by_role("button", name="JSON").click()
    page.locator("#id_condition").fill(json.dumps(condition))
    # When it is shown in the builder, edited there, and shown as JSON again
    page.get_by_role("button", name="Builder").click()
    expect(page.locator(".cb-notice")).to_be_empty()
    expect(page.locator(".cb-group")).to_have_count(4)  # all, any of, all of (inside), not
    assert marketer.accessibility_problems() == []
    page.get_by_role("button", name="JSON").click()
    # Then nothing was lost or reshaped
    assert json.loads(page.locator("#id_condition").input_value()) == condition


def test_segment_builder__shape_it_cannot_show__stays_in_json_and_says_so(sign_in) -> None:
    marketer: Staff = sign_in(AUTHOR)
    page = open_segment_form(marketer)
    page.get_by_role("button", name="JSON").click()
    page.locator("#id_condition").fill('{"$or": "not a list"}')
    page.get_by_role("button", name="Builder").click()
    expect(page.locator(".cb-notice")).to_contain_text("Keep editing it as JSON.")
    expect(page.locator("#id_condition")).to_be_visible()
    expect(page.locator(".cb-summary")).to_contain_text('"$or" at the top level needs a list')
