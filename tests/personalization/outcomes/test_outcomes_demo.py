"""The demo's outcomes: seeded goals, and simulated traffic that fills the Results in."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from consent.selectors import ConsentSnapshot
from personalization import services
from personalization.engine import Decision, Reason
from personalization.models import EventType, Experiment, Placement
from personalization.outcomes.backends.base import OutcomeStoreError
from personalization.outcomes.demo import Effects, traffic_simulate
from personalization.outcomes.models import CohortDay, Goal
from personalization.outcomes.reports import experiment_report, placement_report
from personalization.outcomes.services import exposures_record

pytestmark = pytest.mark.django_db


def test_seed_demo__purchase_goal_and_its_measure(demo):
    assert EventType.objects.get(key="purchase").measures == ["revenue"]
    assert {(g.key, g.metric) for g in Goal.objects.all()} == {
        ("purchase", "binary"),
        ("revenue", "value"),
    }


def test_traffic_simulate__experiment_arms_filled_in_with_their_true_effect(demo, settings):
    # Given k = 50 and a simulated truth where free shipping doubles purchases
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 50}
    effects = Effects(base_rate=0.05, variant_lifts={("free-shipping-banner", "on"): 1.0})
    # When two days of 1,500 visitors are simulated
    result = traffic_simulate(visitors_per_day=1500, days=2, seed=3, effects=effects)
    # Then both arms have about half the visitors, and "off" is clearly worse than "on"
    assert result.visitors == 3000 and result.purchases > 0
    [section] = experiment_report(
        experiment=Experiment.objects.get(key="free-shipping-test")
    ).sections
    on, off = (g.visitors or 0 for g in section.groups)
    assert 0.45 < on / (on + off) < 0.55
    assert section.sample_ratio is not None and not section.sample_ratio.mismatch
    purchase = next(g for g in section.goals if g.key == "purchase")
    comparison = purchase.groups[1].comparison
    assert comparison is not None and comparison.worse
    assert len(purchase.groups[0].series) == 2


def test_traffic_simulate__holdout__personalized_and_held_out_visitors(
    demo, settings, django_capture_on_commit_callbacks
):
    # Given a 20 % holdout on home-hero
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 20}
    Placement.objects.filter(key="home-hero").update(holdout_percentage=20)
    with django_capture_on_commit_callbacks(execute=True):
        services.revision_publish(message="holdout")
    # When a day of visitors is simulated
    traffic_simulate(visitors_per_day=1000, days=1, seed=4)
    # Then about a fifth of the visitors a rule matched were held out
    overall = placement_report(placement=Placement.objects.get(key="home-hero")).sections[0]
    personalized, holdout = (g.visitors or 0 for g in overall.groups)
    assert holdout > 0 and 0.12 < holdout / (personalized + holdout) < 0.28


def test_simulate_traffic_command__out_of_range__refused(db):
    with pytest.raises(CommandError):
        call_command("simulate_traffic", visitors=0)
    with pytest.raises(CommandError):
        call_command("simulate_traffic", days=8)


def test_outcomes_rollup_command__store_aggregates__into_the_database(demo, capsys):
    served = Decision("home-hero", {}, "mobile", Reason.TARGETING_MATCH, True, {"segment": "m"})
    visitor = ConsentSnapshot("someone", {"measurement": True})
    exposures_record(consent=visitor, decisions=[served], revision=1)
    call_command("outcomes_rollup")
    assert "aggregate rows: 2" in capsys.readouterr().out
    assert CohortDay.objects.filter(cohort__placement="home-hero").count() == 2


def test_outcomes_rollup_command__store_down__fails_with_the_reason(db, monkeypatch):
    def down() -> int:
        raise OutcomeStoreError("connection refused")

    monkeypatch.setattr("personalization.management.commands.outcomes_rollup.outcomes_rollup", down)
    with pytest.raises(CommandError, match="connection refused"):
        call_command("outcomes_rollup")
