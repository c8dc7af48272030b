"""The marketer's admin: validation, rules inline, Preview and rollback."""

import json
import time
from typing import Any

import pytest
from django.urls import reverse

from personalization import services
from personalization.models import Placement, Revision, Rule, Segment
from personalization.stats.services import decision_stats_flush
from personalization.stats.store import decision_stats_store
from personalization.workspace.values import value_to_text
from tests.observability.samples import sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer(admin_client):
    return admin_client


def placement_form(placement: Placement, **extra: Any) -> dict[str, Any]:
    """The change form of a placement as the admin renders it, ready to post back: values as
    typed text (a string without quotes), rules naming their variant by key."""
    data: dict[str, Any] = {
        "key": placement.key,
        "name": placement.name,
        "description": placement.description,
        "value_type": placement.value_type,
        "default_value": value_to_text(placement.value_type, placement.default_value),
        "enabled": "on" if placement.enabled else "",
        "holdout_percentage": placement.holdout_percentage,
        "value_schema": json.dumps(placement.value_schema) if placement.value_schema else "",
        "preview_template": placement.preview_template,
    }
    variants = list(placement.variants.all())
    data |= {
        "variants-TOTAL_FORMS": len(variants),
        "variants-INITIAL_FORMS": len(variants),
        "variants-MIN_NUM_FORMS": 0,
        "variants-MAX_NUM_FORMS": 1000,
    }
    for i, v in enumerate(variants):
        data |= {
            f"variants-{i}-id": v.pk,
            f"variants-{i}-placement": placement.pk,
            f"variants-{i}-key": v.key,
            f"variants-{i}-value": value_to_text(placement.value_type, v.value),
            f"variants-{i}-description": v.description,
        }
    rules = list(placement.rules.all())
    data |= {
        "rules-TOTAL_FORMS": len(rules),
        "rules-INITIAL_FORMS": len(rules),
        "rules-MIN_NUM_FORMS": 0,
        "rules-MAX_NUM_FORMS": 1000,
    }
    for i, r in enumerate(rules):
        data |= {
            f"rules-{i}-id": r.pk,
            f"rules-{i}-placement": placement.pk,
            f"rules-{i}-order": r.order,
            f"rules-{i}-segment": r.segment_id or "",
            f"rules-{i}-variant_key": r.variant.key if r.variant else "",
            f"rules-{i}-experiment": r.experiment_id or "",
            f"rules-{i}-rollout_percentage": r.rollout_percentage,
        }
    data.update(extra)
    return data


HERO_DEFAULT = {"placement": "home-hero", "reason": "CONSENT_REQUIRED", "personalized": "false"}


def dashboard_count(placement: str) -> int:
    """Decisions of `placement` in the dashboard's store, this process's pending ones included."""
    decision_stats_flush()
    counts = decision_stats_store().read(since=0, until=int(time.time()) + 3600)
    return sum(sum(outcomes.values()) for (_, key), outcomes in counts.items() if key == placement)


def publish(client, message: str = "Publish from a test", entries: list[str] | None = None):
    """Publish drafts on Changes to publish, as a marketer would (all of them by default)."""
    from personalization.workspace.selectors import drafts_list

    tokens = entries if entries is not None else [d.token for d in drafts_list()]
    data = {"entries": tokens, "message": message, "_publish": "Publish"}
    return client.post(reverse("admin:personalization_drafts"), data)


def preview(client, **fields: Any):
    data = {"context": "{}", "prefs": "{}", "signals": "{}", "subject_id": "preview-visitor"}
    data.update(fields)
    return client.post(reverse("admin:personalization_preview"), data)


def test_admin_preview__sample_visitor__shows_each_decision_and_why(marketer, demo):
    # When a marketer previews a mobile visitor who granted personalization with an outdoor interest
    response = preview(
        marketer,
        context='{"device": "mobile"}',
        prefs='{"interests": ["outdoor"]}',
        purposes=["personalization"],
    )
    # Then every placement's decision is listed with its explanation
    assert response.status_code == 200
    result = response.context["result"]
    hero = result.decisions["home-hero"]
    assert (hero.variant, hero.explanation["segment"]) == ("outdoor", "prefers-outdoor")
    assert set(result.decisions) == {"home-hero", "recommendations", "free-shipping-banner"}
    html = response.content.decode()
    assert "prefers-outdoor" in html


def test_admin_preview__prefs_without_consent__not_used(marketer, demo):
    # When the same prefs are given but personalization is not ticked
    response = preview(
        marketer, context='{"device": "desktop"}', prefs='{"interests": ["outdoor"]}'
    )
    # Then the preference is not used, as for a real visitor
    hero = response.context["result"].decisions["home-hero"]
    assert hero.reason == "CONSENT_REQUIRED"


def test_admin_preview__sample_visitor__not_counted_as_served(marketer, demo):
    # Given the decisions counted so far, in the metrics and on the dashboard
    before = sample("tactful_decisions_total", **HERO_DEFAULT), dashboard_count("home-hero")
    # When a marketer previews a visitor
    assert preview(marketer, context='{"device": "desktop"}').status_code == 200
    # Then nothing was served: neither counts it
    assert (sample("tactful_decisions_total", **HERO_DEFAULT), dashboard_count("home-hero")) == (
        before
    )


def test_admin_preview__bad_json__form_error(marketer, demo):
    # When
    response = preview(marketer, context="[1, 2]")
    # Then
    assert response.status_code == 200
    assert response.context["result"] is None
    assert "Enter a JSON object" in response.content.decode()


def test_admin_placement__add_rule_inline__a_draft_until_published(
    marketer, demo, django_capture_on_commit_callbacks
):
    # Given the recommendations placement and the mobile segment
    placement = Placement.objects.get(key="recommendations")
    mobile = Segment.objects.get(key="mobile-visitors")
    variant = placement.variants.get(key="shoes-first")
    before = Revision.objects.latest().number
    data = placement_form(placement)
    n = data["rules-TOTAL_FORMS"]
    data |= {
        "rules-TOTAL_FORMS": n + 1,
        f"rules-{n}-placement": placement.pk,
        f"rules-{n}-order": 1,
        f"rules-{n}-segment": mobile.pk,
        f"rules-{n}-variant_key": variant.key,
        f"rules-{n}-experiment": "",
        f"rules-{n}-rollout_percentage": 100,
    }
    # When the marketer saves the placement with a new first rule
    url = reverse("admin:personalization_placement_change", args=[placement.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = marketer.post(url, data)
    # Then it is saved as a draft: nothing is live yet
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert Revision.objects.latest().number == before
    result = preview(marketer, context='{"device": "mobile"}').context["result"]
    assert result.decisions["recommendations"].variant == "default"
    # When it is published
    with django_capture_on_commit_callbacks(execute=True):
        assert publish(marketer, "Shoes first on mobile").status_code == 302
    # Then it is one revision, by the marketer, and the preview shows the change
    latest = Revision.objects.latest()
    assert latest.number == before + 1
    assert (latest.author is not None, latest.message) == (
        True,
        f"Shoes first on mobile (change set #{latest.change_sets.get().pk})",
    )
    result = preview(marketer, context='{"device": "mobile"}').context["result"]
    assert result.decisions["recommendations"].variant == "shoes-first"


def test_admin_placement__rule_with_variant_and_experiment__form_error(marketer, demo):
    # Given a rule that names both a variant and an experiment
    placement = Placement.objects.get(key="free-shipping-banner")
    rule = placement.rules.get(experiment__isnull=False)
    data = placement_form(placement)
    index = next(i for i in range(data["rules-TOTAL_FORMS"]) if data[f"rules-{i}-id"] == rule.pk)
    data[f"rules-{index}-variant_key"] = "on"
    before = Revision.objects.count()
    # When saved
    response = marketer.post(
        reverse("admin:personalization_placement_change", args=[placement.pk]), data
    )
    # Then an inline error, nothing published
    assert response.status_code == 200
    assert "Choose either a variant or an experiment" in response.content.decode()
    assert Revision.objects.count() == before


def test_admin_placement__variant_value_of_wrong_type__form_error(marketer, demo):
    # Given a boolean placement whose variant is typed as something that is not on or off
    placement = Placement.objects.get(key="free-shipping-banner")
    data = placement_form(placement)
    data["variants-0-value"] = "maybe"
    # When
    response = marketer.post(
        reverse("admin:personalization_placement_change", args=[placement.pk]), data
    )
    # Then
    assert response.status_code == 200
    assert "Choose on or off." in response.content.decode()
    assert set(placement.variants.values_list("value", flat=True)) == {True, False}


def test_admin_segment__invalid_condition__inline_error_and_nothing_saved(marketer, db):
    # When a marketer saves a segment with an unknown operator
    response = marketer.post(
        reverse("admin:personalization_segment_add"),
        {
            "key": "bad",
            "name": "Bad",
            "description": "",
            "condition": '{"context.a": {"$nope": 1}}',
        },
    )
    # Then the problem is shown next to the field
    assert response.status_code == 200
    assert "$nope" in response.content.decode()
    assert not Segment.objects.exists()
    assert not Revision.objects.exists()


def test_admin_segment__regex_re2_cannot_run__error_at_condition_and_nothing_saved(marketer, db):
    # When a marketer saves a segment whose regex uses lookahead
    response = marketer.post(
        reverse("admin:personalization_segment_add"),
        {
            "key": "lookahead",
            "name": "Lookahead",
            "description": "",
            "condition": '{"context.q": {"$regex": "(?=x)"}}',
        },
    )
    # Then the form shows why, at the condition field, and nothing is saved or published
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["condition"] == [
        '"$regex" at context.q: the pattern "(?=x)" uses lookahead, which Tactful does not '
        "support: regexes must run in linear time."
    ]
    assert not Segment.objects.exists()
    assert not Revision.objects.exists()


def test_admin_segment__valid__saved_as_a_draft_then_published(marketer, db):
    # When
    response = marketer.post(
        reverse("admin:personalization_segment_add"),
        {"key": "fr", "name": "French", "description": "", "condition": '{"context.locale": "fr"}'},
    )
    # Then it waits in Changes to publish, and is live once published
    assert response.status_code == 302
    assert not Revision.objects.exists()
    assert publish(marketer, entries=["segments:fr"]).status_code == 302
    assert Revision.objects.get().snapshot["segments"]["fr"]["condition"] == {
        "context.locale": "fr"
    }


def test_admin_revision__rollback_action__previewed_confirmed_then_a_new_revision(
    marketer, demo, django_capture_on_commit_callbacks
):
    # Given a later change that deletes a rule
    target = Revision.objects.latest()
    rule = Rule.objects.get(placement__key="home-hero", segment__key="mobile-visitors")
    services.config_delete(instance=rule)
    # When the marketer picks the revision and the action
    response = marketer.post(
        reverse("admin:personalization_revision_changelist"),
        {"action": "rollback", "_selected_action": [target.pk]},
        follow=True,
    )
    # Then they first see what it will change, and nothing is changed yet
    page = response.content.decode()
    assert "Roll back the whole configuration to r1" in page
    assert "Rule added" in page and "rule 30: mobile-visitors → mobile" in page
    assert not Rule.objects.filter(segment__key="mobile-visitors").exists()
    # When they confirm with a reason
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = marketer.post(
            response.wsgi_request.path, {"message": "The mobile hero is back"}, follow=True
        )
    # Then it is a new revision, with that reason, and decisions follow
    assert f"to r{target.number}: published as r{target.number + 2}" in confirmed.content.decode()
    assert Rule.objects.filter(placement__key="home-hero", segment__key="mobile-visitors").exists()
    assert Revision.objects.latest().message.startswith("The mobile hero is back")
    result = preview(marketer, context='{"device": "mobile"}').context["result"]
    assert result.decisions["home-hero"].variant == "mobile"


def test_admin_revision__read_only(marketer, demo):
    revision = Revision.objects.latest()
    url = reverse("admin:personalization_revision_change", args=[revision.pk])
    response = marketer.post(url, {"message": "tampered"})
    revision.refresh_from_db()
    assert revision.message != "tampered"
    assert response.status_code in (302, 403)
