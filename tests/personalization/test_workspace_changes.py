"""Drafts, change sets, four eyes: what is published, by whom, and what never slips through."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from consent.permissions import MARKETERS
from personalization import services
from personalization.models import AuditEntry, ChangeSet, Placement, Revision, Segment
from personalization.workspace import services as workspace
from personalization.workspace.exceptions import Conflict, NotAllowed, WorkspaceError
from personalization.workspace.review import adjacent_term, approval_reasons
from personalization.workspace.selectors import drafts_entries, drafts_list, live_get
from tests.consent.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketers(demo):
    """Two members of the Marketers group: one makes changes, the other reviews them."""
    group = Group.objects.get(name=MARKETERS)
    people = UserFactory.create_batch(2, is_staff=True)
    for person in people:
        person.groups.add(group)
    return people


@pytest.fixture
def four_eyes(settings):
    settings.TACTFUL = {**settings.TACTFUL, "REQUIRE_APPROVAL": True}


def hero_draft(headline="Your next pair, one tap away"):
    """A draft on the home hero: a new variant, as the admin would save it."""
    hero = Placement.objects.get(key="home-hero")
    value = {**hero.variants.get(key="shoes").value, "headline": headline}
    hero.variants.create(key="mobile-shoes", value=value)
    return hero


def test_drafts__two_marketers__publishing_one_never_carries_the_other(marketers):
    # Given a draft on the hero and another, unrelated draft on a segment
    author, _ = marketers
    hero_draft()
    Segment.objects.filter(key="spring-campaign").update(condition={"context.utm_campaign": "x"})
    # When only the hero is published
    change_set = workspace.changes_publish(
        entries=[("placements", "home-hero")], author=author, message="New hero"
    )
    # Then the hero is live, and the segment's draft is still only a draft
    live = live_get()
    assert change_set.status == ChangeSet.Status.PUBLISHED
    assert "mobile-shoes" in live["placements"]["home-hero"]["variants"]
    assert live["segments"]["spring-campaign"]["condition"] == {
        "context.utm_campaign": "spring-sale"
    }
    assert drafts_entries() == [("segments", "spring-campaign")]


def test_programmatic_write__other_drafts__stay_drafts(marketers):
    hero_draft()
    services.segment_create(key="fr", name="French", condition={"context.locale": "fr"})
    assert "fr" in live_get()["segments"]
    assert drafts_entries() == [("placements", "home-hero")]


def test_kill_switch__placement_with_a_draft__only_the_switch_goes_live(marketers):
    hero = hero_draft()
    services.placement_set_enabled(placement=hero, enabled=False)
    live = live_get()["placements"]["home-hero"]
    assert live["enabled"] is False
    assert "mobile-shoes" not in live["variants"]
    assert drafts_entries() == [("placements", "home-hero")]


def test_four_eyes__sensitive_change__author_cannot_approve_another_marketer_can(
    marketers, four_eyes
):
    # Given an experiment-free but behaviour-based change: a rule on the shoe-intent segment
    author, reviewer = marketers
    hero = hero_draft()
    hero.rules.create(
        order=1,
        segment=Segment.objects.get(key="shoe-intent"),
        variant=hero.variants.get(key="mobile-shoes"),
    )
    before = Revision.objects.latest().number
    # When the author publishes it
    change_set = workspace.changes_publish(
        entries=[("placements", "home-hero")], author=author, message="New hero"
    )
    # Then it waits for approval, and says why
    assert change_set.status == ChangeSet.Status.PENDING
    assert change_set.approval_reasons == [
        "A rule of home-hero uses segment shoe-intent, which reads behaviour or preferences."
    ]
    assert Revision.objects.latest().number == before
    # And its author cannot approve it
    with pytest.raises(NotAllowed, match="someone else must approve"):
        workspace.changeset_approve(change_set=change_set, reviewer=author)
    # When another marketer approves and publishes it
    workspace.changeset_approve(change_set=change_set, reviewer=reviewer, note="Looks good")
    revision = workspace.changeset_publish(change_set=change_set, actor=reviewer)
    # Then it is live, and the audit log tells the story
    assert revision.number == before + 1
    assert live_get()["placements"]["home-hero"]["rules"][0]["variant"] == "mobile-shoes"
    story = list(
        AuditEntry.objects.filter(change_set=change_set)
        .order_by("id")
        .values_list("action", "actor_name")
    )
    assert story == [
        ("submitted", author.username),
        ("approved", reviewer.username),
        ("published", reviewer.username),
    ]


def test_change_set__item_published_differently_meanwhile__conflict_and_nothing_written(
    marketers,
):
    # Given an approved change set for the hero
    author, reviewer = marketers
    hero_draft()
    change_set = workspace.changes_submit(
        entries=[("placements", "home-hero")], author=author, message="New hero"
    )
    assert change_set.status == ChangeSet.Status.APPROVED
    # When, before it is published, the hero's live version changes (the kill switch)
    services.placement_set_enabled(placement=Placement.objects.get(key="home-hero"), enabled=False)
    before = Revision.objects.latest().number
    # Then publishing it is refused, and nothing is written
    with pytest.raises(Conflict, match="placement home-hero changed since"):
        workspace.changeset_publish(change_set=change_set, actor=reviewer)
    assert Revision.objects.latest().number == before
    assert live_get()["placements"]["home-hero"]["enabled"] is False


def test_change_set__reject__needs_a_reason(marketers, four_eyes):
    author, reviewer = marketers
    Segment.objects.filter(key="shoe-intent").update(
        condition={"signals.product_view.category.shoes.count_30m": {"$gte": 2}}
    )
    change_set = workspace.changes_submit(
        entries=[("segments", "shoe-intent")], author=author, message="Two is enough"
    )
    with pytest.raises(WorkspaceError, match="Say why"):
        workspace.changeset_reject(change_set=change_set, reviewer=reviewer, note=" ")
    workspace.changeset_reject(change_set=change_set, reviewer=reviewer, note="Keep three")
    assert change_set.status == ChangeSet.Status.REJECTED
    with pytest.raises(NotAllowed):
        workspace.changeset_publish(change_set=change_set, actor=reviewer)


def test_drafts_discard__hero_draft__back_to_what_is_live(marketers):
    author, _ = marketers
    hero_draft()
    workspace.drafts_discard(entries=[("placements", "home-hero")], actor=author)
    assert drafts_entries() == []
    assert not Placement.objects.get(key="home-hero").variants.filter(key="mobile-shoes").exists()


def test_approval_reasons__policy__experiments_behaviour_and_sensitive_adjacent(four_eyes):
    document = {"segments": {"kids": {"condition": {"context.page": "kids"}}}}
    entries: list[dict[str, Any]] = [
        {"section": "experiments", "key": "x", "before": None, "after": {"arms": []}},
        {
            "section": "segments",
            "key": "kids",
            "before": None,
            "after": {"name": "Kids", "condition": {"context.page": "kids"}},
        },
    ]
    assert approval_reasons(entries, document) == [
        "It changes experiment x.",
        'It mentions "kids" (segment kids), a sensitive-adjacent subject.',
    ]
    assert adjacent_term("prefs.birthDate") == "birth"
    assert adjacent_term("context.device") is None


def test_approval_reasons__setting_off__never_needed():
    entries: list[dict[str, Any]] = [
        {"section": "experiments", "key": "x", "before": None, "after": {}}
    ]
    assert approval_reasons(entries, {}) == []


def test_drafts_page__hero_draft__difference_in_words(admin_client, demo):
    hero_draft()
    page = admin_client.get(reverse("admin:personalization_drafts")).content.decode()
    assert "Placement home-hero" in page
    assert "New variant mobile-shoes" in page
    [draft] = drafts_list()
    assert [line.what for line in draft.lines] == ["New variant mobile-shoes"]


def test_drafts_page__publish_without_message_or_choice__errors_at_the_fields(admin_client, demo):
    hero_draft()
    url = reverse("admin:personalization_drafts")
    no_message = admin_client.post(url, {"entries": ["placements:home-hero"], "_publish": "1"})
    assert no_message.context["form"].errors["message"] == [
        "Say why: the message is what the history shows."
    ]
    nothing = admin_client.post(url, {"message": "x", "_publish": "1"})
    assert nothing.context["form"].errors["entries"] == ["Choose at least one change."]
    assert drafts_entries() == [("placements", "home-hero")]


def test_review_page__author__no_approve_button_reviewer_has_one(marketers, four_eyes, client):
    author, reviewer = marketers
    Segment.objects.filter(key="shoe-intent").update(condition={"prefs.interests": "x"})
    change_set = workspace.changes_submit(
        entries=[("segments", "shoe-intent")], author=author, message="Interests"
    )
    url = reverse("admin:personalization_changeset_review", args=[change_set.pk])
    client.force_login(author)
    own = client.get(url).content.decode()
    assert 'value="approve"' not in own and "you cannot approve your own changes" in own
    assert client.post(url, {"action": "approve"}).status_code == 200
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.PENDING
    client.force_login(reviewer)
    assert 'value="approve"' in client.get(url).content.decode()
    assert client.post(url, {"action": "approve", "note": "ok"}).status_code == 302
    change_set.refresh_from_db()
    assert change_set.status == ChangeSet.Status.APPROVED
