"""axe-core on every admin page a marketer uses: no critical or serious violation anywhere."""

import pytest

from tests.browser.conftest import AUTHOR, LiveServer, Staff, unavailable

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("The playwright package is missing (pip install -e '.[dev]').")

pytestmark = pytest.mark.browser

# A draft, a change set waiting for approval, a second revision and a failed webhook delivery,
# so that every page below has something on it.
STAGE = """
from django.contrib.auth.models import User
from personalization.models import Placement, Webhook
from personalization.workspace import services
author = User.objects.get(username="maria")
hero = Placement.objects.get(key="home-hero")
hero.variants.create(key="spring", value={**hero.default_value, "headline": "Spring"})
services.changes_publish(entries=[("placements", "home-hero")], author=author, message="Spring")
Webhook.objects.create(name="Nowhere", url="http://127.0.0.1:9/")
Placement.objects.filter(key="recommendations").update(default_value="new-arrivals")
services.changes_submit(entries=[("placements", "recommendations")], author=author, message="New")
Placement.objects.filter(key="free-shipping-banner").update(name="Free shipping!")
"""

PAGES = [
    "/admin/",
    "/admin/personalization/",
    "/admin/personalization/segment/",
    "/admin/personalization/segment/add/",
    "/admin/personalization/segment/1/change/",
    "/admin/personalization/placement/",
    "/admin/personalization/placement/add/",
    "/admin/personalization/placement/1/change/",
    "/admin/personalization/placement/preview/",
    "/admin/personalization/placement/dashboard/",
    "/admin/personalization/experiment/",
    "/admin/personalization/experiment/add/",
    "/admin/personalization/experiment/1/change/",
    "/admin/personalization/contextkey/",
    "/admin/personalization/contextkey/add/",
    "/admin/personalization/eventtype/",
    "/admin/personalization/changeset/",
    "/admin/personalization/changeset/drafts/",
    "/admin/personalization/changeset/2/review/",
    "/admin/personalization/revision/",
    "/admin/personalization/revision/2/change/",
    "/admin/personalization/revision/1/rollback/?placement=home-hero",
    "/admin/personalization/auditentry/",
    "/admin/personalization/auditentry/?action=published",
    "/admin/personalization/goal/",
    "/admin/personalization/goal/results/",
    "/admin/personalization/goal/results/placements/home-hero/",
    "/admin/personalization/goal/results/experiments/free-shipping-test/",
]


def test_admin__every_marketer_page__no_critical_or_serious_axe_violation(
    sign_in, server: LiveServer
) -> None:
    server.manage("shell", "-c", STAGE)
    marketer: Staff = sign_in(AUTHOR)
    problems = {}
    for path in PAGES:
        page = marketer.go(path)
        expect(page.locator("#content")).to_be_visible()
        assert "Page not found" not in page.title(), path
        assert "403" not in page.title(), path
        if found := marketer.accessibility_problems():
            problems[path] = found
    # The Preview with its results, too
    page = marketer.go("/admin/personalization/placement/preview/")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-results")).to_be_visible()
    if found := marketer.accessibility_problems():
        problems["preview results"] = found
    assert problems == {}
    assert marketer.visitor.errors == []
