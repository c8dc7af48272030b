"""The experiment form: percent weights summing to 100, coverage, its rule made for the marketer."""

from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from personalization.models import Experiment, Placement, Revision, Segment, Variant
from tests.personalization.test_admin import preview, publish

pytestmark = pytest.mark.django_db


def experiment_form(placement: Placement, arms: list[tuple[Variant, Any]], **extra: Any):
    data: dict[str, Any] = {
        "name": "Hero test",
        "key": "hero-test",
        "placement": placement.pk,
        "status": "running",
        "coverage_percent": "100",
        "audience": "",
        "position": "first",
        "required_purpose": "",
        "seed": "",
        "hash_version": 2,
        "arms-TOTAL_FORMS": len(arms),
        "arms-INITIAL_FORMS": 0,
        "arms-MIN_NUM_FORMS": 0,
        "arms-MAX_NUM_FORMS": 1000,
    }
    for i, (variant, weight) in enumerate(arms):
        data |= {f"arms-{i}-variant": variant.pk, f"arms-{i}-weight_percent": weight}
        data |= {f"arms-{i}-order": i}
    return data | extra


def test_admin_experiment__percent_form__saved_as_fractions_with_its_rule_one_revision(
    admin_client, demo, django_capture_on_commit_callbacks
):
    # Given the hero's variants and the mobile segment
    hero = Placement.objects.get(key="home-hero")
    mobile = Segment.objects.get(key="mobile-visitors")
    shoes, outdoor = hero.variants.get(key="shoes"), hero.variants.get(key="outdoor")
    before = Revision.objects.latest().number
    # When a marketer runs a 70/30 test on 80 % of mobile visitors, in one form
    data = experiment_form(
        hero, [(shoes, "70"), (outdoor, "30")], coverage_percent="80", audience=mobile.pk
    )
    response = admin_client.post(reverse("admin:personalization_experiment_add"), data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    with django_capture_on_commit_callbacks(execute=True):
        publish(admin_client)
    # Then the engine's fractions are stored, and a first rule runs it, in one revision
    experiment = Experiment.objects.get(key="hero-test")
    assert experiment.coverage == pytest.approx(0.8)
    assert [a.weight for a in experiment.arms.all()] == [pytest.approx(0.7), pytest.approx(0.3)]
    rule = experiment.rules.get()
    assert (rule.segment, rule.order) == (mobile, 10)
    assert list(hero.rules.values_list("order", flat=True)) == [10, 20, 30, 40]
    assert Revision.objects.latest().number == before + 1
    # And a mobile visitor is split between the two heroes
    decision = preview(admin_client, context='{"device": "mobile"}', purposes=["measurement"])
    hero_decision = decision.context["result"].decisions["home-hero"]
    assert (hero_decision.reason, hero_decision.explanation["experiment"]) == ("SPLIT", "hero-test")


def test_admin_experiment__weights_not_100__error_and_nothing_saved(admin_client, demo):
    hero = Placement.objects.get(key="home-hero")
    arms = [(hero.variants.get(key="shoes"), "60"), (hero.variants.get(key="outdoor"), "30")]
    response = admin_client.post(
        reverse("admin:personalization_experiment_add"), experiment_form(hero, arms)
    )
    assert response.status_code == 200
    assert "The weights add up to 90 %; they must add up to 100 %." in response.content.decode()
    assert not Experiment.objects.filter(key="hero-test").exists()


def test_admin_experiment__arm_of_another_placement__error_at_the_field(admin_client, demo):
    hero = Placement.objects.get(key="home-hero")
    other = Variant.objects.get(placement__key="recommendations", key="shoes-first")
    arms = [(hero.variants.get(key="shoes"), "50"), (other, "50")]
    response = admin_client.post(
        reverse("admin:personalization_experiment_add"), experiment_form(hero, arms)
    )
    assert escape("The variant must belong to the experiment's placement.") in (
        response.content.decode()
    )
    assert not Experiment.objects.filter(key="hero-test").exists()


def test_admin_experiment__paused__page_says_it_serves_nobody(admin_client, demo):
    # Given the demo's running free-shipping test, paused
    experiment = Experiment.objects.get(key="free-shipping-test")
    Experiment.objects.filter(pk=experiment.pk).update(status="paused")
    # When its page is opened
    page = admin_client.get(
        reverse("admin:personalization_experiment_change", args=[experiment.pk])
    ).content.decode()
    # Then it shows weights in percent and says its rule serves nobody
    assert 'name="arms-0-weight_percent" value="50.0"' in page
    assert "serves nobody while experiment free-shipping-test is paused" in page
