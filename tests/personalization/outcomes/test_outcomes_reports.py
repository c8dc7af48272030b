"""Results of experiments and placements from the daily aggregates, groups under k hidden."""

from datetime import date, timedelta

import pytest

from personalization import services
from personalization.models import Experiment, Placement
from personalization.outcomes.cohorts import Cohort as CohortKey
from personalization.outcomes.cohorts import Kind
from personalization.outcomes.reports import (
    GoalResult,
    Section,
    experiment_report,
    placement_report,
)
from personalization.outcomes.statistics import Sample, compare, mean_interval
from tests.personalization.outcomes.factories import aggregate, conversions, goal

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 30)


@pytest.fixture
def k(settings) -> int:
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 50}
    return 50


@pytest.fixture
def experiment(demo) -> Experiment:
    """The demo's free shipping test: arms on (control) and off, 50/50."""
    return Experiment.objects.get(key="free-shipping-test")


def of(section: Section, goal_key: str) -> GoalResult:
    return next(result for result in section.goals if result.key == goal_key)


def arm(variant: str) -> CohortKey:
    return CohortKey(Kind.ARM, "free-shipping-banner", "free-shipping-test", variant=variant)


def test_experiment_report__arms__rates_lifts_and_tests(experiment, k):
    # Given 2,000 visitors per arm over two days: 100 and 130 purchases
    purchase = goal()
    aggregate(arm("on"), DAY, visitors=1000, goals=conversions(purchase, 45))
    aggregate(arm("on"), DAY + timedelta(1), visitors=1000, goals=conversions(purchase, 55))
    aggregate(arm("off"), DAY, visitors=1000, goals=conversions(purchase, 60))
    aggregate(arm("off"), DAY + timedelta(1), visitors=1000, goals=conversions(purchase, 70))
    # When the experiment's report is read
    report = experiment_report(experiment=experiment)
    # Then the first arm is the control, and each arm's figures sum the days
    [section] = report.sections
    assert report.control == "on"
    assert [(g.key, g.visitors, g.control) for g in section.groups] == [
        ("on", 2000, True),
        ("off", 2000, False),
    ]
    result = of(section, "purchase")
    on, off = result.groups
    assert (on.visitors, on.converters) == (2000, 100)
    assert on.estimate == mean_interval(Sample(2000, 100, 100.0, 100.0, True))
    assert on.comparison is None
    assert off.comparison == compare(
        Sample(2000, 100, 100.0, 100.0, True), Sample(2000, 130, 130.0, 130.0, True)
    )
    assert off.comparison.better
    assert off.sequential is not None and off.sequential.p_value > off.comparison.p_value
    # And the sample ratio is fine, with the visitors needed for a 10 % lift on 5 %
    assert section.sample_ratio is not None and not section.sample_ratio.mismatch
    assert result.visitors_needed == 31_231
    assert section.warnings == ()


def test_experiment_report__a_group_under_k__no_figures_at_all(experiment, k):
    # Given 49 visitors in one arm and 500 in the other
    purchase = goal()
    aggregate(arm("on"), DAY, visitors=500, goals=conversions(purchase, 20))
    aggregate(arm("off"), DAY, visitors=49, goals=conversions(purchase, 3))
    # When the report is read
    [section] = experiment_report(experiment=experiment).sections
    # Then the small arm shows nothing, nothing is compared with it, and no ratio is checked
    assert [g.visitors for g in section.groups] == [500, None]
    on, off = of(section, "purchase").groups
    assert on.shown and on.comparison is None
    assert (off.shown, off.visitors, off.converters, off.estimate, off.series) == (
        False,
        None,
        None,
        None,
        (),
    )
    assert section.sample_ratio is None
    assert section.warnings == ("Groups with fewer than 50 visitors are not shown.",)


def test_experiment_report__52_48_split__sample_ratio_mismatch_warned(experiment, k):
    aggregate(arm("on"), DAY, visitors=10_400)
    aggregate(arm("off"), DAY, visitors=9_600)
    [section] = experiment_report(experiment=experiment).sections
    assert section.sample_ratio is not None and section.sample_ratio.mismatch
    assert section.warnings[0].startswith("Sample ratio mismatch")


def test_experiment_report__chart_days__each_point_k_more_visitors_than_the_last(experiment, k):
    # Given days of 60, 10, 70 and 5 visitors per arm
    purchase = goal()
    for offset, visitors in enumerate([60, 10, 70, 5]):
        for variant in ("on", "off"):
            aggregate(
                arm(variant),
                DAY + timedelta(offset),
                visitors=visitors,
                goals=conversions(purchase, 1),
            )
    # When the report is read
    on, off = of(experiment_report(experiment=experiment).sections[0], "purchase").groups
    # Then the chart shows the last day, and earlier days only k visitors apart: day 1 (60,
    # 85 before the last) but not day 2 (70 before) nor day 3 (5 before)
    assert [point.day for point in on.series] == [DAY + timedelta(1), DAY + timedelta(3)]
    assert [point.day for point in off.lift_series] == [DAY + timedelta(1), DAY + timedelta(3)]


def test_experiment_report__guardrail_harmed__warned(experiment, k):
    # Given a guardrail "returns" (lower is better) that the off arm doubles
    returns = goal("returns", higher_is_better=False, guardrail=True)
    aggregate(arm("on"), DAY, visitors=5000, goals=conversions(returns, 100))
    aggregate(arm("off"), DAY, visitors=5000, goals=conversions(returns, 200))
    [section] = experiment_report(experiment=experiment).sections
    assert of(section, "returns").harmed == ("off",)
    assert section.warnings == ("Guardrail Returns: off significantly higher than on.",)


def test_experiment_report__value_goal__means_and_welch(experiment, k):
    revenue = goal("revenue", metric="value", value_property="revenue")
    aggregate(arm("on"), DAY, visitors=400, goals={revenue: (40, 4000.0, 600_000.0)})
    aggregate(arm("off"), DAY, visitors=400, goals={revenue: (60, 7000.0, 1_100_000.0)})
    on, off = of(experiment_report(experiment=experiment).sections[0], "revenue").groups
    assert on.estimate is not None and on.estimate.estimate == pytest.approx(10.0)
    assert off.comparison is not None
    assert off.comparison.absolute.estimate == pytest.approx(7.5)
    assert off.comparison == compare(
        Sample(400, 40, 4000.0, 600_000.0, False), Sample(400, 60, 7000.0, 1_100_000.0, False)
    )


def test_experiment_report__arm_removed_since__shown_but_not_in_the_ratio(experiment, k):
    aggregate(arm("on"), DAY, visitors=1000)
    aggregate(arm("off"), DAY, visitors=1000)
    aggregate(arm("old"), DAY, visitors=5000)
    report = experiment_report(experiment=experiment)
    [section] = report.sections
    assert [g.label for g in section.groups] == ["on", "off", "old (removed)"]
    assert section.sample_ratio is not None and not section.sample_ratio.mismatch
    assert report.notes == ("old is no longer an arm; its visitors are shown, not checked.",)


def hero(variant: str | None = None, *, segment: str = "", held: bool = False) -> CohortKey:
    if variant is None:
        return CohortKey(Kind.PLACEMENT, "home-hero", holdout=held)
    return CohortKey(Kind.RULE, "home-hero", segment=segment, variant=variant, holdout=held)


def test_placement_report__holdout__overall_and_per_rule(
    demo, k, django_capture_on_commit_callbacks
):
    # Given home-hero with a 10 % holdout, and its visitors personalized or held out
    placement = demo_placement("home-hero", holdout=10.0)
    purchase = goal()
    aggregate(hero(), DAY, visitors=9000, goals=conversions(purchase, 540))
    aggregate(hero(held=True), DAY, visitors=1000, goals=conversions(purchase, 50))
    aggregate(
        hero("mobile", segment="mobile-visitors"),
        DAY,
        visitors=6000,
        goals=conversions(purchase, 330),
    )
    aggregate(
        hero("mobile", segment="mobile-visitors", held=True),
        DAY,
        visitors=660,
        goals=conversions(purchase, 33),
    )
    aggregate(
        hero("shoes", segment="shoe-intent"), DAY, visitors=3000, goals=conversions(purchase, 210)
    )
    aggregate(
        hero("shoes", segment="shoe-intent", held=True),
        DAY,
        visitors=30,
        goals=conversions(purchase, 1),
    )
    # When the placement's report is read
    report = placement_report(placement=placement)
    # Then personalization is compared with the holdout overall and per rule
    assert report.control == "holdout"
    titles = [s.title for s in report.sections]
    assert titles == ["All rules", "mobile-visitors → mobile", "shoe-intent → shoes"]
    overall = report.sections[0]
    personalized, holdout = of(overall, "purchase").groups
    assert holdout.control and personalized.comparison is not None
    assert personalized.comparison.relative is not None
    assert personalized.comparison.relative.estimate == pytest.approx(0.2)
    assert overall.sample_ratio is not None and not overall.sample_ratio.mismatch
    # And a rule whose holdout is under k shows its personalized visitors only
    shoes = report.sections[2]
    assert [g.visitors for g in shoes.groups] == [3000, None]
    assert report.notes == ()


def test_placement_report__no_holdout__personalized_alone_with_a_note(demo, k):
    placement = demo_placement("home-hero", holdout=0.0)
    aggregate(hero(), DAY, visitors=500)
    report = placement_report(placement=placement)
    assert [g.visitors for g in report.sections[0].groups] == [500, None]
    assert report.sections[0].warnings == ()
    assert "no holdout" in report.notes[0]


def demo_placement(key: str, *, holdout: float) -> Placement:
    Placement.objects.filter(key=key).update(holdout_percentage=holdout)
    return Placement.objects.get(key=key)


def test_experiment_report__weights_changed__counts_only_since_then(
    experiment, k, django_capture_on_commit_callbacks
):
    # Given visitors split 50/50 at revision 1, then the weights changed to 80/20
    purchase = goal()
    aggregate(arm("on"), DAY, visitors=5000, goals=conversions(purchase, 500), revision=1)
    aggregate(arm("off"), DAY, visitors=5000, goals=conversions(purchase, 250), revision=1)
    with django_capture_on_commit_callbacks(execute=True):
        experiment.arms.filter(variant__key="on").update(weight=0.8)
        experiment.arms.filter(variant__key="off").update(weight=0.2)
        changed = services.revision_publish(message="80/20")
    assert changed is not None
    aggregate(
        arm("on"), DAY, visitors=800, goals=conversions(purchase, 40), revision=changed.number
    )
    aggregate(
        arm("off"), DAY, visitors=200, goals=conversions(purchase, 10), revision=changed.number
    )
    # When the report is read
    report = experiment_report(experiment=experiment)
    # Then only the visitors since the change count, checked against the new weights
    assert report.phase.revision == changed.number
    [section] = report.sections
    assert [g.visitors for g in section.groups] == [800, 200]
    assert section.sample_ratio is not None and not section.sample_ratio.mismatch


def test_placement_report__unrelated_publish__phase_unchanged(
    demo, k, django_capture_on_commit_callbacks
):
    # Given a holdout set at some revision, then an unrelated change
    with django_capture_on_commit_callbacks(execute=True):
        Placement.objects.filter(key="home-hero").update(holdout_percentage=10)
        held = services.revision_publish(message="holdout")
        services.segment_create(key="tablet", name="Tablet", condition={"context.device": "tablet"})
    assert held is not None
    # Then the placement's phase starts where its holdout was set
    report = placement_report(placement=Placement.objects.get(key="home-hero"))
    assert report.phase.revision == held.number
