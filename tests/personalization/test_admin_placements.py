"""Placement editing: typed values, schemas, previews, and rules on variants of the same save."""

import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from consent.permissions import MARKETERS, PRIVACY_OFFICERS
from personalization.models import Placement, Revision, Rule, Segment
from personalization.workspace.serving import serving_warnings
from tests.personalization.test_admin import placement_form, preview, publish

pytestmark = pytest.mark.django_db


def change(client, placement: Placement, data: dict[str, Any]):
    return client.post(reverse("admin:personalization_placement_change", args=[placement.pk]), data)


def add_variant(data: dict[str, Any], key: str, value: str) -> None:
    n = data["variants-TOTAL_FORMS"]
    data |= {"variants-TOTAL_FORMS": n + 1, f"variants-{n}-key": key, f"variants-{n}-value": value}


def add_rule(data: dict[str, Any], placement: Placement, order: int, variant: str, segment=None):
    n = data["rules-TOTAL_FORMS"]
    data |= {
        "rules-TOTAL_FORMS": n + 1,
        f"rules-{n}-placement": placement.pk,
        f"rules-{n}-order": order,
        f"rules-{n}-segment": segment.pk if segment else "",
        f"rules-{n}-variant_key": variant,
        f"rules-{n}-experiment": "",
        f"rules-{n}-rollout_percentage": 100,
    }


def test_admin_placement__new_variant_used_by_a_rule_of_the_same_save__one_revision(
    admin_client, demo, django_capture_on_commit_callbacks
):
    # Given the recommendations placement (a string) and the mobile segment
    placement = Placement.objects.get(key="recommendations")
    mobile = Segment.objects.get(key="mobile-visitors")
    before = Revision.objects.latest().number
    data = placement_form(placement)
    # When one save adds a variant typed as plain text and a first rule serving it
    add_variant(data, "sale-first", "sale-first")
    add_rule(data, placement, 1, "sale-first", mobile)
    response = change(admin_client, placement, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    with django_capture_on_commit_callbacks(execute=True):
        publish(admin_client)
    # Then both are published as one revision, and mobile visitors get the new variant
    assert Revision.objects.latest().number == before + 1
    assert placement.variants.get(key="sale-first").value == "sale-first"
    result = preview(admin_client, context='{"device": "mobile"}').context["result"]
    assert result.decisions["recommendations"].variant == "sale-first"


def test_admin_placement__rule_names_a_missing_variant__error_at_the_field(admin_client, demo):
    placement = Placement.objects.get(key="recommendations")
    data = placement_form(placement)
    add_rule(data, placement, 1, "ghost")
    before = Rule.objects.count()
    response = change(admin_client, placement, data)
    assert response.status_code == 200
    assert escape('This placement has no variant "ghost".') in response.content.decode()
    assert Rule.objects.count() == before


def test_admin_placement__json_variant_breaks_the_schema__errors_by_field(admin_client, demo):
    # Given the hero, whose values follow a schema
    placement = Placement.objects.get(key="home-hero")
    data = placement_form(placement)
    # When a new hero lacks a button text and has an unknown theme
    hero = {"headline": "Hi", "theme": "neon", "image": "hero-shoes.svg"}
    add_variant(data, "neon", json.dumps(hero))
    response = change(admin_client, placement, data)
    # Then the form says which fields are wrong, and saves nothing
    page = response.content.decode()
    assert response.status_code == 200
    assert "&#x27;cta&#x27; is a required property" in page
    assert "theme: &#x27;neon&#x27; is not one of" in page
    assert not placement.variants.filter(key="neon").exists()


def test_admin_placement__invalid_schema_or_template__errors_at_their_fields(admin_client, demo):
    placement = Placement.objects.get(key="home-hero")
    data = placement_form(placement)
    data["value_schema"] = '{"type": "nonsense"}'
    data["preview_template"] = "{% if %}"
    response = change(admin_client, placement, data)
    errors = response.context["adminform"].form.errors
    assert "This is not a valid JSON Schema" in errors["value_schema"][0]
    assert "The preview template has an error" in errors["preview_template"][0]


def test_admin_placement__number_typed_as_words__plain_error(admin_client, db):
    response = admin_client.post(
        reverse("admin:personalization_placement_add"),
        {
            "key": "discount",
            "name": "Discount",
            "value_type": "number",
            "default_value": "ten",
            "enabled": "on",
            **{f"{p}-{k}": v for p in ("variants", "rules") for k, v in MANAGEMENT.items()},
        },
    )
    assert response.status_code == 200
    assert escape('"ten" is not a number; write it like 12 or 4.5.') in response.content.decode()
    assert not Placement.objects.exists()


MANAGEMENT = {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0, "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}


def render(client, **body):
    return client.post(
        reverse("admin:personalization_placement_render"),
        json.dumps(body),
        content_type="application/json",
    )


def test_placement_render__template_and_value__escaped_html(admin_client):
    response = render(
        admin_client,
        template="<h1>{{ value.headline }}</h1>",
        value_type="json",
        text='{"headline": "<script>x</script>"}',
    )
    assert response.status_code == 200
    assert "<h1>&lt;script&gt;x&lt;/script&gt;</h1>" in response.json()["html"]


def test_placement_render__bad_input__400_and_needs_permission(admin_client, staff):
    bad = render(admin_client, template="x", value_type="json", text="{nope")
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    assert (
        render(staff(PRIVACY_OFFICERS), template="x", value_type="string", text="a").status_code
        == 403
    )
    assert render(staff(MARKETERS), template="x", value_type="string", text="a").status_code == 200


def test_admin_placement__rule_after_a_catch_all__warned_on_its_page(
    admin_client, demo, rule_factory
):
    # Given a rule for everyone before the hero's other rules
    placement = Placement.objects.get(key="home-hero")
    Rule.objects.create(placement=placement, order=1, variant=placement.variants.get(key="shoes"))
    # When the marketer opens the placement
    response = admin_client.get(
        reverse("admin:personalization_placement_change", args=[placement.pk])
    )
    # Then the page says which rules can never be reached
    assert "Rule 10 (shoe-intent → shoes) is never reached: rule 1 (everyone → shoes)" in (
        response.content.decode()
    )


def test_admin_preview__rule__named_by_its_order(admin_client, demo):
    result = preview(admin_client, context='{"device": "mobile"}')
    assert "(rule 30)" in result.content.decode()


def test_serving_warnings__experiment_states__each_explained():
    document = {
        "segments": {"all": {"condition": {}}},
        "experiments": {
            "paused": {"status": "paused", "coverage": 1, "arms": [{"variant": "a", "weight": 1}]},
            "orphan": {"status": "running", "coverage": 0, "arms": [{"variant": "a", "weight": 0}]},
        },
        "placements": {
            "p": {
                "enabled": True,
                "rules": [
                    {"order": 10, "segment": None, "experiment": "paused", "rollout": 100},
                    {"order": 20, "segment": "all", "variant": "a", "rollout": 100},
                    {"order": 30, "segment": None, "variant": "b", "rollout": 0},
                ],
            }
        },
    }
    warnings = serving_warnings(document)
    assert warnings[("placements", "p")] == [
        "Rule 10 (everyone → experiment paused) serves nobody while experiment paused is paused.",
        "Rule 30 (everyone → b) is never reached: rule 20 (all → a) already serves everyone.",
    ]
    assert warnings[("experiments", "orphan")] == [
        "It is running but no rule of its placement points at it, so nobody is in it.",
        "No arm has a weight above 0 %: nobody can be assigned.",
        "Its coverage is 0 %: nobody is included.",
    ]
