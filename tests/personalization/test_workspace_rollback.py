"""History and rollback: one placement back as it was, the rest untouched; always previewed."""

import pytest
from django.urls import reverse

from consent.permissions import MARKETERS, PRIVACY_OFFICERS
from personalization import services
from personalization.models import AuditEntry, ChangeSet, Experiment, Placement, Revision
from personalization.workspace import services as workspace
from personalization.workspace.exceptions import WorkspaceError
from personalization.workspace.rollback import rollback_plan, rollback_publish
from personalization.workspace.selectors import live_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(demo):
    """r1 the demo; r2 a new hero variant served to mobile visitors; r3 an unrelated segment."""
    first = Revision.objects.latest()
    hero = Placement.objects.get(key="home-hero")
    with services.config_batch(message="Spring hero"):
        variant = hero.variants.create(
            key="spring", value={**hero.default_value, "headline": "Spring"}
        )
        rule = hero.rules.get(segment__key="mobile-visitors")
        rule.variant = variant
        services._save(rule, author=None, message="")
    services.segment_create(key="fr", name="French", condition={"context.locale": "fr"})
    return first


def test_rollback__one_placement__only_it_goes_back_the_later_segment_stays(history, admin_user):
    # When the hero alone is rolled back to r1
    published = rollback_publish(revision=history, placement="home-hero", actor=admin_user)
    # Then it is as in r1, as a new revision; the segment added after r1 is still live
    live = live_get()
    assert published.number == history.number + 3
    assert live["placements"]["home-hero"] == history.snapshot["placements"]["home-hero"]
    assert "fr" in live["segments"]
    # And the working copy follows, so the next publish does not bring the spring hero back
    assert not Placement.objects.get(key="home-hero").variants.filter(key="spring").exists()
    change_set = ChangeSet.objects.get(kind=ChangeSet.Kind.ROLLBACK)
    assert change_set.revision == published
    assert AuditEntry.objects.filter(action="rolled_back", object_key="home-hero").exists()


def test_rollback_plan__one_placement__previewed_in_words_nothing_changed(history):
    plan = rollback_plan(revision=history, placement="home-hero")
    [change] = plan.changes
    assert change.label == "placement home-hero"
    assert [line.what for line in change.lines] == [
        "Variant spring removed",
        "Rule removed",
        "Rule added",
    ]
    assert plan.discarded_drafts == []
    assert "spring" in live_get()["placements"]["home-hero"]["variants"]


def test_rollback__placement_with_an_experiment__experiment_comes_back_too(demo, admin_user):
    first = Revision.objects.latest()
    experiment = Experiment.objects.get(key="free-shipping-test")
    experiment.arms.filter(order=0).update(weight=0.9)
    experiment.arms.filter(order=1).update(weight=0.1)
    workspace.changes_publish(
        entries=[("experiments", "free-shipping-test")], author=admin_user, message="90/10"
    )
    assert live_get()["experiments"]["free-shipping-test"]["arms"][0]["weight"] == 0.9
    rollback_publish(revision=first, placement="free-shipping-banner", actor=admin_user)
    assert live_get()["experiments"] == first.snapshot["experiments"]


def test_rollback__draft_on_the_placement__said_before_and_replaced(history, admin_user):
    Placement.objects.filter(key="home-hero").update(name="Hero (draft)")
    plan = rollback_plan(revision=history, placement="home-hero")
    assert plan.discarded_drafts == ["placement home-hero"]
    rollback_publish(revision=history, placement="home-hero", actor=admin_user)
    assert Placement.objects.get(key="home-hero").name == "Home hero"


def test_rollback__already_as_in_that_revision__refused_in_words(demo, admin_user):
    latest = Revision.objects.latest()
    with pytest.raises(WorkspaceError, match="Nothing to roll back"):
        rollback_publish(revision=latest, placement="home-hero", actor=admin_user)


def test_revision_page__who_when_why_and_what_in_words(history, admin_client):
    spring = Revision.objects.get(number=history.number + 1)
    page = admin_client.get(
        reverse("admin:personalization_revision_change", args=[spring.pk])
    ).content.decode()
    assert "Spring hero" in page
    assert "New variant spring" in page
    assert "Undo this revision for placement home-hero" in page
    assert "The revision as stored (JSON)" in page


def test_rollback_view__preview_then_confirm__needs_publish_permission(history, staff):
    url = reverse("admin:personalization_revision_rollback", args=[history.pk])
    url += "?placement=home-hero"
    assert staff(PRIVACY_OFFICERS).get(url).status_code == 403
    marketer = staff(MARKETERS)
    preview = marketer.get(url)
    assert "Roll back placement home-hero to r1" in preview.content.decode()
    empty = marketer.post(url, {"message": ""})
    assert empty.context["form"].errors["message"] == ["This field is required."]
    assert marketer.post(url, {"message": "Spring hero off"}).status_code == 302
    assert live_get()["placements"]["home-hero"] == history.snapshot["placements"]["home-hero"]
