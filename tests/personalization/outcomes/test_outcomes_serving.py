"""Exposures through the serving seam: POST /api/v1/decide records what measured visitors were
served (arms, rules, holdouts), and their purchases reach the Results."""

import time
from typing import Any

import orjson
import pytest
from django.test import Client

from consent.services import consent_update, subject_create
from consent.tokens import subject_token_sign
from personalization import services
from personalization.models import Experiment, Placement
from personalization.outcomes.cohorts import Cohort, Kind
from personalization.outcomes.reports import experiment_report, placement_report
from personalization.outcomes.selectors import outcome_visitor
from personalization.outcomes.services import exposures_flush, outcomes_rollup

pytestmark = pytest.mark.django_db

PURCHASE = {"type": "purchase", "properties": {"product": "tent", "revenue": 249.5}}


def post(client: Client, path: str, body: Any, token: str | None = None):
    headers = {"X-Tactful-Subject": token} if token else {}
    return client.post(path, orjson.dumps(body), content_type="application/json", headers=headers)


def subject_with(capture, **purposes: bool) -> tuple[str, str]:
    with capture(execute=True):
        subject = subject_create()
        consent_update(subject=subject, purposes=purposes, source="api")
    return subject.public_id, subject_token_sign(subject.public_id)


def cohorts(store, subject_id: str) -> set[str]:
    exposures_flush()
    marks = store.marks(outcome_visitor(subject_id), now=time.time(), window=86400)
    return {mark.cohort.key for mark in marks}


def test_decide__measured_visitor__exposed_to_the_arm_and_counted_when_buying(
    client, demo, configured_store, settings, django_capture_on_commit_callbacks
):
    # Given k = 1 and a visitor who granted measurement
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 1}
    subject_id, token = subject_with(django_capture_on_commit_callbacks, measurement=True)
    # When the free shipping banner is decided for them, and they buy
    response = post(client, "/api/v1/decide", {"placements": ["free-shipping-banner"]}, token)
    arm = response.json()["decisions"]["free-shipping-banner"]["variant"]
    post(client, "/api/v1/events", {"events": [PURCHASE]}, token)
    # Then they were exposed to their arm, the rule and the placement
    assert cohorts(configured_store, subject_id) == {
        Cohort(Kind.ARM, "free-shipping-banner", "free-shipping-test", variant=arm).key,
        Cohort(Kind.RULE, "free-shipping-banner", "free-shipping-test").key,
        Cohort(Kind.PLACEMENT, "free-shipping-banner").key,
    }
    # And the experiment's results count one visitor who bought, in their arm
    outcomes_rollup()
    [section] = experiment_report(
        experiment=Experiment.objects.get(key="free-shipping-test")
    ).sections
    purchase = next(goal for goal in section.goals if goal.key == "purchase")
    counted = {group.key: (group.visitors, group.converters) for group in purchase.groups}
    assert counted[arm] == (1, 1)


@pytest.mark.parametrize(
    "purposes", [{"personalization": True}, {}], ids=["no-measurement", "none"]
)
def test_decide__not_measured__nothing_recorded(
    client, demo, configured_store, purposes, django_capture_on_commit_callbacks
):
    subject_id, token = subject_with(django_capture_on_commit_callbacks, **purposes)
    post(client, "/api/v1/decide", {"context": {"device": "mobile"}}, token)
    assert cohorts(configured_store, subject_id) == set()


def test_decide__held_out_visitor__default_explained_and_exposed_as_holdout(
    client, demo, configured_store, settings, django_capture_on_commit_callbacks
):
    # Given k = 1 and home-hero with a holdout of 50 % (the maximum)
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 1}
    with django_capture_on_commit_callbacks(execute=True):
        Placement.objects.filter(key="home-hero").update(holdout_percentage=50)
        services.revision_publish(message="holdout")
    # When measured mobile visitors ask for it
    held: list[tuple[str, Any]] = []
    served: list[tuple[str, Any]] = []
    for _ in range(12):
        subject_id, token = subject_with(django_capture_on_commit_callbacks, measurement=True)
        body = post(
            client,
            "/api/v1/decide",
            {"placements": ["home-hero"], "context": {"device": "mobile"}},
            token,
        ).json()
        hero = body["decisions"]["home-hero"]
        (held if hero["explanation"].get("holdout") else served).append((subject_id, hero))
    # Then some are held out: the default, not personalized, saying which rule they were held
    # out of, and exposed as its holdout; the others are served the rule
    assert held and served
    subject_id, hero = held[0]
    assert (hero["variant"], hero["reason"], hero["personalized"]) == ("default", "DEFAULT", False)
    assert hero["explanation"]["holdout"] == {
        "rule": 3,
        "segment": "mobile-visitors",
        "experiment": None,
        "variant": "mobile",
        "purposes": ["measurement"],
    }
    assert cohorts(configured_store, subject_id) == {
        Cohort(
            Kind.RULE, "home-hero", segment="mobile-visitors", variant="mobile", holdout=True
        ).key,
        Cohort(Kind.PLACEMENT, "home-hero", holdout=True).key,
    }
    assert served[0][1]["reason"] == "TARGETING_MATCH"
    # And the placement's results count both sides
    outcomes_rollup()
    overall = placement_report(placement=Placement.objects.get(key="home-hero")).sections[0]
    assert [group.visitors for group in overall.groups] == [len(served), len(held)]


def test_rollback__restores_the_holdout(demo, django_capture_on_commit_callbacks):
    # Given a revision without holdout, then one with a 10 % holdout
    with django_capture_on_commit_callbacks(execute=True):
        before = services.revision_publish(message="before")
        Placement.objects.filter(key="home-hero").update(holdout_percentage=10)
        with_holdout = services.revision_publish(message="holdout")
    assert before is not None and with_holdout is not None
    assert with_holdout.snapshot["placements"]["home-hero"]["holdout"] == {
        "percentage": 10.0,
        "seed": "holdout:home-hero",
        "required_purpose": "measurement",
    }
    assert "holdout" not in before.snapshot["placements"]["home-hero"]
    # When the earlier revision is restored, then the later one again
    with django_capture_on_commit_callbacks(execute=True):
        services.revision_rollback(revision=before)
    assert Placement.objects.get(key="home-hero").holdout_percentage == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.revision_rollback(revision=with_holdout)
    assert Placement.objects.get(key="home-hero").holdout_percentage == 10
