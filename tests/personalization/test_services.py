"""Configuration writes: each is validated, saved and published as a new revision."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from personalization import services
from personalization.models import Placement, Revision, Rule, Segment
from personalization.snapshot import snapshot_current
from tests.personalization.factories import decide_for

pytestmark = pytest.mark.django_db


def mobile(**kwargs):
    return decide_for(
        subject_id=None,
        granted=["necessary"],
        attributes={"context": {"device": "mobile"}},
        **kwargs,
    )


def test_segment_create__valid__publishes_revision_on_commit(django_capture_on_commit_callbacks):
    # Given no revision yet
    # When a segment is created
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.segment_create(key="mobile", name="Mobile", condition={"context.device": "mobile"})
    # Then revision 1 holds it and the process swapped to it on commit
    revision = Revision.objects.get()
    assert revision.number == 1
    assert revision.snapshot["segments"]["mobile"]["condition"] == {"context.device": "mobile"}
    assert len(callbacks) == 1
    assert snapshot_current().revision == 1


def test_segment_create__invalid_condition__nothing_written():
    # When a condition reads an attribute outside the namespaces
    with pytest.raises(ValidationError) as excinfo:
        services.segment_create(key="bad", name="Bad", condition={"device": "mobile"})
    # Then a clear error and nothing saved or published
    assert "context." in str(excinfo.value)
    assert not Segment.objects.exists()
    assert not Revision.objects.exists()


def test_placement_create__variant_of_wrong_type__rolled_back():
    # When a boolean placement gets a string variant
    with pytest.raises(ValidationError):
        services.placement_create(
            key="flag",
            name="Flag",
            value_type="boolean",
            default_value=False,
            variants={"on": "yes"},
        )
    # Then the placement itself was not kept either
    assert not Placement.objects.exists()
    assert not Revision.objects.exists()


def test_placement_create__with_variants__one_revision():
    # When a placement with two variants is created
    services.placement_create(
        key="flag",
        name="Flag",
        value_type="boolean",
        default_value=False,
        variants={"on": True, "off": False},
    )
    # Then a single revision describes all of it
    revision = Revision.objects.get()
    assert revision.snapshot["placements"]["flag"]["variants"] == {
        "on": {"value": True, "description": ""},
        "off": {"value": False, "description": ""},
    }


def test_rule_create__then_decision_changes(django_capture_on_commit_callbacks):
    # Given a placement with a variant and no rule
    with django_capture_on_commit_callbacks(execute=True):
        placement = services.placement_create(
            key="hero",
            name="Hero",
            value_type="string",
            default_value="generic",
            variants={"m": "m"},
        )
        segment = services.segment_create(
            key="mobile", name="Mobile", condition={"context.device": "mobile"}
        )
    assert mobile().decisions["hero"].value == "generic"
    # When a rule is added
    with django_capture_on_commit_callbacks(execute=True):
        services.rule_create(placement=placement, segment=segment, variant="m")
    # Then the next decision uses it
    assert mobile().decisions["hero"].value == "m"


def test_placement_set_enabled__off__disabled_reason(demo, django_capture_on_commit_callbacks):
    # When the kill switch is used
    with django_capture_on_commit_callbacks(execute=True):
        services.placement_set_enabled(
            placement=Placement.objects.get(key="home-hero"), enabled=False
        )
    # Then
    decision = mobile().decisions["home-hero"]
    assert decision.reason == "DISABLED"
    assert decision.value["theme"] == "generic"


def test_revision_rollback__restores_config_as_new_revision(
    demo, django_capture_on_commit_callbacks
):
    # Given the demo (revision A) and a later change that removes the mobile rule
    before = Revision.objects.latest()
    with django_capture_on_commit_callbacks(execute=True):
        rule = Rule.objects.get(placement__key="home-hero", segment__key="mobile-visitors")
        services.config_delete(instance=rule)
    assert mobile().decisions["home-hero"].variant == "default"
    # When rolling back to revision A
    with django_capture_on_commit_callbacks(execute=True):
        published = services.revision_rollback(revision=before)
    # Then a new revision restores the rule in the tables and in decisions
    assert published.number == before.number + 2
    assert published.snapshot["placements"] == before.snapshot["placements"]
    assert published.snapshot["segments"] == before.snapshot["segments"]
    assert published.snapshot["experiments"] == before.snapshot["experiments"]
    assert Rule.objects.filter(placement__key="home-hero", segment__key="mobile-visitors").exists()
    assert mobile().decisions["home-hero"].variant == "mobile"


def test_config_batch__several_writes__one_revision():
    # When several writes are batched
    with services.config_batch(message="two segments"):
        services.segment_create(key="a", name="A", condition={"context.a": 1})
        services.segment_create(key="b", name="B", condition={"context.b": 1})
    # Then they are one revision
    assert list(Revision.objects.values_list("number", "message")) == [(1, "two segments")]


def test_seed_demo__run_twice__idempotent_and_keeps_edits(demo):
    # Given the demo and a marketer's edit
    Placement.objects.filter(key="recommendations").update(name="Edited")
    revisions = Revision.objects.count()
    # When seed_demo runs again
    call_command("seed_demo", verbosity=0)
    # Then nothing is duplicated, overwritten or republished
    assert Placement.objects.get(key="recommendations").name == "Edited"
    assert Segment.objects.count() == 5
    assert Revision.objects.count() == revisions


def test_seed_demo__keys__exactly_as_the_issue_names_them(demo):
    # Then the demo's keys are the contract the SDK and browser tests rely on
    snapshot = Revision.objects.latest().snapshot
    assert set(snapshot["segments"]) == {
        "shoe-intent",
        "prefers-outdoor",
        "prefers-running",
        "mobile-visitors",
        "spring-campaign",
    }
    hero = snapshot["placements"]["home-hero"]
    assert [(r["segment"], r["variant"]) for r in hero["rules"]] == [
        ("shoe-intent", "shoes"),
        ("prefers-outdoor", "outdoor"),
        ("mobile-visitors", "mobile"),
    ]
    assert snapshot["placements"]["recommendations"]["default"] == "bestsellers"
    banner = snapshot["placements"]["free-shipping-banner"]
    assert banner["default"] is False
    assert [r["experiment"] for r in banner["rules"]] == [None, "free-shipping-test"]
    assert snapshot["experiments"]["free-shipping-test"]["status"] == "running"


@pytest.mark.parametrize(
    "condition",
    [
        {"prefs.health_condition": "diabetes"},
        {"context.page": {"$in": ["/faith/religion"]}},
        {"$or": [{"context.device": "mobile"}, {"signals.visit.topic.pregnancy.count_30m": 1}]},
    ],
)
def test_segment_create__touches_sensitive_category__refused_and_nothing_written(condition):
    # When a segment reads or compares against a denylisted category
    with pytest.raises(ValidationError) as excinfo:
        services.segment_create(key="sensitive", name="Sensitive", condition=condition)
    # Then it is refused with the category named, and nothing is saved or published
    assert "sensitive category" in str(excinfo.value)
    assert not Segment.objects.exists()
    assert not Revision.objects.exists()
