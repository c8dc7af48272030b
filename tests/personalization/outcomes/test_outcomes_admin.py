"""The outcomes admin: goals, report keys, and the Results pages with their links."""

import secrets
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from consent.permissions import MARKETERS
from consent.selectors import ConsentSnapshot
from personalization.engine import Decision, Reason
from personalization.models import EventType, Experiment, Placement
from personalization.outcomes.cohorts import Cohort as CohortKey
from personalization.outcomes.cohorts import Kind
from personalization.outcomes.models import Goal, ReportApiKey, report_key_digest
from personalization.outcomes.services import exposures_record
from tests.personalization.outcomes.factories import aggregate, conversions, goal

pytestmark = pytest.mark.django_db

TODAY = datetime.now(UTC).date()


def arm(variant: str) -> CohortKey:
    return CohortKey(Kind.ARM, "free-shipping-banner", "free-shipping-test", variant=variant)


@pytest.fixture
def marketer(client, db):
    user = get_user_model().objects.create_user("mia", password="pw-mia-123456", is_staff=True)
    user.groups.add(Group.objects.get(name=MARKETERS))
    client.force_login(user)
    return client


def results_url(kind: str, key: str) -> str:
    return reverse(f"admin:personalization_{kind}_results", args=[key])


def test_experiment_results__marketer__tables_charts_and_verdict(marketer, demo, settings):
    # Given two arms of 2,000 visitors with 100 and 130 purchases
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 50}
    purchase = goal()
    aggregate(arm("on"), TODAY, visitors=2000, goals=conversions(purchase, 100))
    aggregate(arm("off"), TODAY, visitors=2000, goals=conversions(purchase, 130))
    # When a marketer opens the experiment's results
    response = marketer.get(results_url("experiment", "free-shipping-test"))
    # Then the page has the arms, the lift with its interval, the verdict and both charts
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-group="off"' in html
    assert "+30.0 %" in html
    assert '<span class="verdict-better">Better</span>' in html
    assert 'id="arms-purchase-time-title"' in html
    assert 'id="arms-purchase-lift-title"' in html
    assert "Cumulative rate of Purchase with 95 % intervals" in html
    assert "Visitors so far: 2000 of 31231 per group" in html


def test_experiment_results__groups_under_k__no_figures(marketer, demo, settings):
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 50}
    purchase = goal()
    aggregate(arm("on"), TODAY, visitors=49, goals=conversions(purchase, 7))
    aggregate(arm("off"), TODAY, visitors=49, goals=conversions(purchase, 9))
    html = marketer.get(results_url("experiment", "free-shipping-test")).content.decode()
    assert "fewer than 50 visitors, not shown" in html
    assert ">49<" not in html and ">7<" not in html
    assert 'role="img"' not in html


def test_experiment_results__srm__warned(marketer, demo):
    aggregate(arm("on"), TODAY, visitors=10_400)
    aggregate(arm("off"), TODAY, visitors=9_600)
    html = marketer.get(results_url("experiment", "free-shipping-test")).content.decode()
    assert "Sample ratio mismatch" in html


def test_placement_results__exposures_recorded__rolled_up_and_shown(marketer, demo, settings):
    # Given k = 2 and three measured visitors served home-hero's mobile rule
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 2}
    served = Decision(
        "home-hero", {}, "mobile", Reason.TARGETING_MATCH, True, {"segment": "mobile-visitors"}
    )
    for _ in range(3):
        visitor = ConsentSnapshot(secrets.token_urlsafe(8), {"measurement": True})
        exposures_record(consent=visitor, decisions=[served], revision=1)
    # When the placement's results are opened
    html = marketer.get(results_url("placement", "home-hero")).content.decode()
    # Then the store's aggregates were rolled up and the personalized visitors are counted
    assert "mobile-visitors → mobile" in html
    assert '<tr data-group="personalized">' in html and "<td>3</td>" in html
    assert "has no holdout" in html


def test_results__links_from_experiment_placement_and_dashboard(marketer, demo):
    experiment = Experiment.objects.get(key="free-shipping-test")
    placement = Placement.objects.get(key="home-hero")
    pages = {
        reverse("admin:personalization_experiment_change", args=[experiment.pk]): results_url(
            "experiment", experiment.key
        ),
        reverse("admin:personalization_placement_change", args=[placement.pk]): results_url(
            "placement", placement.key
        ),
        reverse("admin:personalization_dashboard"): reverse("admin:personalization_results"),
    }
    for page, link in pages.items():
        assert f'href="{link}"' in marketer.get(page).content.decode(), page
    index = marketer.get(reverse("admin:personalization_results")).content.decode()
    assert results_url("experiment", "free-shipping-test") in index
    assert results_url("placement", "home-hero") in index


def test_results__staff_without_permission__403_and_anonymous_to_login(client, demo):
    url = results_url("experiment", "free-shipping-test")
    assert client.get(url).status_code == 302
    user = get_user_model().objects.create_user("intern", password="pw-intern-123", is_staff=True)
    client.force_login(user)
    assert client.get(url).status_code == 403


def test_results__unknown_experiment__404(marketer, db):
    assert marketer.get(results_url("experiment", "nope")).status_code == 404


def test_goal_admin__value_goal_without_a_measure__error_at_the_field(marketer, db):
    event = EventType.objects.create(key="purchase", properties=["product"])
    response = marketer.post(
        reverse("admin:personalization_goal_add"),
        {
            "key": "revenue",
            "name": "Revenue",
            "event_type": event.pk,
            "metric": "value",
            "value_property": "revenue",
            "higher_is_better": "on",
            "minimum_effect": "10",
        },
    )
    assert response.status_code == 200
    assert "value_property" in response.context["adminform"].form.errors
    assert not Goal.objects.exists()


def test_goal_admin__filter_value__normalised_to_a_slug(marketer, db):
    event = EventType.objects.create(key="purchase", properties=["plan"])
    response = marketer.post(
        reverse("admin:personalization_goal_add"),
        {
            "key": "pro",
            "name": "Pro",
            "event_type": event.pk,
            "metric": "binary",
            "filter_property": "plan",
            "filter_value": "Pro Plan",
            "higher_is_better": "on",
            "minimum_effect": "10",
        },
    )
    assert response.status_code == 302
    assert Goal.objects.get(key="pro").filter_value == "pro-plan"


def test_report_key_admin__created__shown_once_and_only_its_digest_kept(admin_client):
    # When an admin creates a key
    response = admin_client.post(
        reverse("admin:personalization_reportapikey_add"), {"name": "BI export"}
    )
    # Then the page shows it once, and only its digest is stored
    assert response.status_code == 200
    raw = response.context["raw"]
    assert raw.startswith("tfr_") and raw in response.content.decode()
    key = ReportApiKey.objects.get()
    assert key.digest == report_key_digest(raw) and raw not in (key.prefix, key.digest)
    assert (
        raw
        not in admin_client.get(
            reverse("admin:personalization_reportapikey_changelist")
        ).content.decode()
    )
    # And the revoke action revokes it
    admin_client.post(
        reverse("admin:personalization_reportapikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
