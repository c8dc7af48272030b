"""Issue 14's "done when", in a real browser, with no JSON and no developer.

A marketer builds "mobile visitors who viewed shoes three times in 30 minutes", gives them a new
hero, has it approved, schedules it for Monday 9:00, and rolls just that placement back.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import AUTHOR, REVIEWER, LiveServer, Staff, unavailable
from tests.browser.test_storefront import SHOES, _accept, _view_product

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148"
NEW_HERO = "Your next pair, one tap away"
SHOES_30M = "Product view with category …: times in the last 30 minutes"
# The live server notices a publication within two of its periods (2 s each).
PUSH_MS = 15_000


def next_monday_9(zone: str) -> datetime:
    today = datetime.now(ZoneInfo(zone)).date()
    monday = today + timedelta(days=(7 - today.weekday()) or 7)
    return datetime(monday.year, monday.month, monday.day, 9, 0)


@pytest.mark.server_env(TACTFUL_REQUIRE_APPROVAL="true")
def test_done_when__segment_hero_approval_monday_9_and_placement_rollback(
    sign_in, server: LiveServer, browser: "Browser"
) -> None:
    # A shopper on a phone who viewed three pairs of shoes sees the shoe hero for now
    phone = browser.new_context(user_agent=PHONE, viewport={"width": 1280, "height": 900})
    try:
        shop = phone.new_page()
        shop.goto(server.url + "/")
        _accept(shop)
        for key in SHOES:
            _view_product(shop, key)
        expect(shop.locator(".hero__headline")).to_have_text("Find your next pair")

        # 1. Maria builds the segment, row by row
        maria: Staff = sign_in(AUTHOR)
        page = maria.go("/admin/personalization/segment/add/")
        expect(page.locator(".cb-toolbar")).to_be_visible()
        page.get_by_label("Name").fill("Mobile shoe fans")
        for n, (attribute, operator, value) in enumerate(
            [("Device", "is", "mobile"), (SHOES_30M, "is at least", "3")], start=1
        ):
            page.get_by_role("button", name="Add a condition").first.click()
            page.get_by_label(f"Attribute of condition {n}").select_option(label=attribute)
            page.get_by_label(f"Operator of condition {n}").select_option(label=operator)
            page.get_by_label(f"Value of condition {n}").fill(value)
        page.get_by_label("Category of condition 2").fill("shoes")
        expect(page.locator(".cb-summary")).to_contain_text("Needs consent for: personalization.")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#result_list")).to_contain_text("Mobile shoe fans")

        # 2. ... gives them a new hero, from its fields, and a rule serving it, in one save
        page = maria.go("/admin/personalization/placement/")
        page.get_by_role("link", name="home-hero", exact=True).click()
        variant = page.locator("#variants-3")
        variant.get_by_label("Key").fill("mobile-shoes")
        variant.get_by_label("Headline").fill(NEW_HERO)
        variant.get_by_label("Button text").fill("Shop shoes")
        variant.get_by_label("Colour theme").select_option("shoes")
        variant.get_by_label("Image").select_option("hero-shoes.svg")
        rule = page.locator("#rules-3")
        rule.get_by_label("Order").fill("5")
        rule.get_by_label("Segment").select_option(label="mobile-shoe-fans")
        rule.get_by_label("Variant").select_option("mobile-shoes")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("Saved as a draft")

        # 3. ... and asks for it to go live on Monday at 9:00, Paris time
        page.get_by_role("link", name="Changes to publish (2)").click()
        expect(page.locator("#content-main")).to_contain_text("Segment mobile-shoe-fans")
        expect(page.locator("#content-main")).to_contain_text("New variant mobile-shoes")
        page.get_by_label("Why").fill("A hero for mobile shoe fans")
        monday = next_monday_9("Europe/Paris")
        page.get_by_label("Publish at").fill(monday.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Time zone").select_option("Europe/Paris")
        assert maria.accessibility_problems() == []
        page.get_by_role("button", name="Publish").click()
        expect(page.locator(".messagelist")).to_contain_text("waiting for someone else's approval")
        expect(page.locator("#content-main")).to_contain_text(
            "It changes segment mobile-shoe-fans, which reads behaviour or preferences."
        )

        # 4. Rui approves it; it is now scheduled for Monday 9:00 in Paris
        rui: Staff = sign_in(REVIEWER)
        page = rui.go("/admin/personalization/changeset/")
        page.get_by_role("link", name="#1").click()
        page.get_by_role("button", name="Approve").click()
        expect(page.locator(".ws-facts")).to_contain_text("Scheduled")
        expect(page.locator("#content-main")).to_contain_text(
            f"Publish on {monday:%A} {monday.day} {monday:%B %Y}, 09:00 Europe/Paris"
        )
        assert rui.accessibility_problems() == []
        expect(shop.locator(".hero__headline")).to_have_text("Find your next pair")

        # 5. Monday 9:00 comes: the server publishes it by itself, and the open shop follows
        server.manage(
            "shell",
            "-c",
            "from django.utils import timezone; from personalization.models import Schedule; "
            "Schedule.objects.filter(status='pending').update(due_at=timezone.now())",
        )
        expect(shop.locator(".hero__headline")).to_have_text(NEW_HERO, timeout=PUSH_MS)

        # 6. Maria rolls just the hero back, after seeing what it will change
        page = maria.go("/admin/personalization/revision/")
        page.get_by_role("link", name="2", exact=True).click()
        page.get_by_role("link", name="Undo this revision for placement home-hero").click()
        expect(page.locator("#content-main")).to_contain_text("Variant mobile-shoes removed")
        assert maria.accessibility_problems() == []
        page.get_by_label("Why").fill("Back to the shoe hero")
        page.get_by_role("button", name="Roll back now").click()
        expect(page.locator(".messagelist")).to_contain_text("published as r3")
        expect(shop.locator(".hero__headline")).to_have_text("Find your next pair", timeout=PUSH_MS)
        # ... and the segment, which was not rolled back, is still live
        page = maria.go("/admin/personalization/segment/")
        expect(page.locator("#result_list tr", has_text="Mobile shoe fans")).to_contain_text("live")
    finally:
        phone.close()
