"""Placement holdouts in the engine: who is held out, what they are served and how it is said."""

from typing import Any

from growthbook.core import gbhash

from personalization.engine import CompiledHoldout, Reason, Visitor, compile_snapshot, decide
from personalization.engine.compiler import compile_holdout
from tests.personalization.test_engine_evaluation import ALL, EVERYONE, document

MEASURED = frozenset({"necessary", "measurement"})
SUBJECTS = [f"subject-{n}" for n in range(4000)]


def hero(holdout: dict[str, Any] | None, **overrides: Any):
    return compile_snapshot(document(holdout=holdout, **overrides)).placements["hero"]


def mobile(subject: str | None, granted=MEASURED) -> Visitor:
    return Visitor(subject, {"context": {"device": "mobile"}}, granted)


def unit(seed: str, subject: str) -> float:
    # growthbook's own hash is the oracle: the engine buckets holdouts as it buckets experiments.
    n = gbhash(seed, subject, 2)
    assert n is not None
    return n


def held_out(subject: str, percentage: float, seed: str = "holdout:hero") -> bool:
    return unit(seed, subject) < percentage / 100


def test_decide__held_out_visitor_matching_a_rule__default_with_holdout_explained():
    # Given a 5 % holdout and a measured mobile visitor inside it
    placement = hero({"percentage": 5})
    subject = next(s for s in SUBJECTS if held_out(s, 5))
    # When the hero is decided
    decision = decide(placement, mobile(subject))
    # Then the default is served, not personalized, and the explanation names the rule held out of
    assert decision.value == "generic"
    assert decision.variant == "default"
    assert decision.reason is Reason.DEFAULT
    assert decision.personalized is False
    assert decision.explanation == {
        "rule": None,
        "segment": None,
        "experiment": None,
        "purposes": [],
        "namespaces": [],
        "attributes": {},
        "holdout": {
            "rule": 2,
            "segment": "mobile",
            "experiment": None,
            "variant": "mobile",
            "purposes": ["measurement"],
        },
    }


def test_decide__holdout_membership__exactly_growthbook_hash_below_the_share():
    # Given a 5 % holdout
    placement = hero({"percentage": 5})
    # When 4,000 measured mobile visitors are decided
    decisions = {s: decide(placement, mobile(s)) for s in SUBJECTS}
    # Then exactly those whose v2 hash of "holdout:hero" is under 0.05 are held out, about 5 %
    held = {s for s, d in decisions.items() if "holdout" in d.explanation}
    assert held == {s for s in SUBJECTS if held_out(s, 5)}
    assert 0.04 <= len(held) / len(SUBJECTS) <= 0.06
    assert all(decisions[s].reason is Reason.TARGETING_MATCH for s in set(SUBJECTS) - held)


def test_decide__holdout_with_an_explicit_seed__buckets_by_that_seed():
    placement = hero({"percentage": 20, "seed": "other-seed"})
    held = {s for s in SUBJECTS[:500] if "holdout" in decide(placement, mobile(s)).explanation}
    assert held == {s for s in SUBJECTS[:500] if held_out(s, 20, seed="other-seed")}


def test_decide__holdout_without_measurement__served_as_usual():
    # Given a 100 % holdout and a visitor who did not grant measurement
    decision = decide(hero({"percentage": 100}), mobile("s1", granted=EVERYONE))
    # Then nobody would measure them: they are not held out
    assert decision.reason is Reason.TARGETING_MATCH
    assert "holdout" not in decision.explanation


def test_decide__holdout_needing_no_purpose__holds_out_without_measurement():
    placement = hero({"percentage": 100, "required_purpose": None})
    decision = decide(placement, mobile("s1", granted=EVERYONE))
    assert decision.reason is Reason.DEFAULT
    assert decision.explanation["holdout"]["purposes"] == []


def test_decide__anonymous_visitor__never_held_out():
    decision = decide(hero({"percentage": 100}), mobile(None))
    assert decision.reason is Reason.TARGETING_MATCH


def test_decide__no_rule_matches__plain_default_without_holdout():
    decision = decide(hero({"percentage": 100}), Visitor("s1", {"context": {}}, ALL))
    assert decision.reason is Reason.DEFAULT
    assert "holdout" not in decision.explanation


def test_decide__disabled_placement_with_holdout__disabled():
    decision = decide(hero({"percentage": 100}, enabled=False), mobile("s1"))
    assert decision.reason is Reason.DISABLED
    assert "holdout" not in decision.explanation


def test_decide__consent_skipped_rules_and_holdout__consent_required_untouched():
    # Given only the signals rule, which needs personalization, and a full holdout
    rules = [{"order": 10, "segment": "shoe-intent", "variant": "shoes", "rollout": 100}]
    decision = decide(hero({"percentage": 100}, rules=rules), mobile("s1"))
    assert decision.reason is Reason.CONSENT_REQUIRED
    assert "holdout" not in decision.explanation


def test_decide__held_out_of_an_experiment__default_naming_the_arm_it_would_have_served():
    # Given an experiment rule for everyone and a 100 % holdout
    rules = [{"order": 10, "segment": None, "experiment": "split", "rollout": 100}]
    placement = hero({"percentage": 100}, rules=rules)
    # When a measured visitor is decided
    decision = decide(placement, Visitor("s1", {"context": {}}, ALL))
    # Then the default is served, and the explanation names the experiment and the arm
    assert decision.reason is Reason.DEFAULT
    holdout = decision.explanation["holdout"]
    assert holdout["experiment"] == "split"
    assert holdout["segment"] is None
    assert holdout["variant"] == ("mobile" if unit("split-seed", "s1") < 0.5 else "shoes")
    assert holdout["purposes"] == ["measurement"]


def test_decide__holdout_and_experiment__independent_buckets():
    # Given a 50 % holdout over a 50/50 experiment (different seeds)
    rules = [{"order": 10, "segment": None, "experiment": "split", "rollout": 100}]
    placement = hero({"percentage": 50}, rules=rules)
    decisions = [decide(placement, Visitor(s, {"context": {}}, ALL)) for s in SUBJECTS]
    # Then the held-out half would have been split like everyone else: about half per arm
    held = [d.explanation["holdout"] for d in decisions if d.reason is Reason.DEFAULT]
    would_be = [holdout["variant"] for holdout in held]
    assert 0.45 <= would_be.count("mobile") / len(would_be) <= 0.55


def test_compile_holdout__defaults_and_absence():
    assert compile_holdout("hero", None) is None
    assert compile_holdout("hero", {"percentage": 0}) is None
    assert compile_holdout("hero", {"percentage": 5}) == CompiledHoldout(
        share=0.05, seed="holdout:hero", required_purpose="measurement"
    )
    assert compile_holdout("hero", {"percentage": 5, "required_purpose": None}) == (
        CompiledHoldout(share=0.05, seed="holdout:hero", required_purpose=None)
    )


def test_compile_snapshot__document_without_holdout__placement_has_none():
    assert compile_snapshot(document()).placements["hero"].holdout is None
