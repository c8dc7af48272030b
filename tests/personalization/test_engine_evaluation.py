"""Decision evaluation over a compiled snapshot, without a database."""

from typing import Any

import pytest
from growthbook.core import gbhash

from personalization.engine import Reason, Visitor, compile_snapshot, decide, decide_many

EVERYONE = frozenset({"necessary"})
ALL = frozenset({"necessary", "personalization", "measurement", "advertising"})


def document(**placement_overrides: Any) -> dict[str, Any]:
    placement = {
        "name": "Hero",
        "value_type": "string",
        "default": "generic",
        "enabled": True,
        "variants": {"mobile": {"value": "mobile"}, "shoes": {"value": "shoes"}},
        "rules": [
            {"order": 10, "segment": "shoe-intent", "variant": "shoes", "rollout": 100},
            {"order": 20, "segment": "mobile", "variant": "mobile", "rollout": 100},
        ],
    }
    placement.update(placement_overrides)
    return {
        "revision": 7,
        "segments": {
            "shoe-intent": {
                "name": "Shoe intent",
                "condition": {"signals.product_view.category.shoes.count_30m": {"$gte": 3}},
            },
            "mobile": {"name": "Mobile", "condition": {"context.device": "mobile"}},
            "outdoor": {
                "name": "Outdoor",
                "condition": {"prefs.interests": {"$elemMatch": {"$eq": "outdoor"}}},
            },
        },
        "experiments": {
            "split": {
                "name": "Split",
                "placement": "hero",
                "status": "running",
                "coverage": 1.0,
                "seed": "split-seed",
                "hash_version": 2,
                "required_purpose": "measurement",
                "arms": [{"variant": "mobile", "weight": 0.5}, {"variant": "shoes", "weight": 0.5}],
            }
        },
        "placements": {"hero": placement},
    }


def visitor(
    *, context: dict[str, Any] | None = None, granted=EVERYONE, subject: str | None = "s1", **ns
) -> Visitor:
    return Visitor(subject_id=subject, attributes={"context": context or {}, **ns}, granted=granted)


def hero(**overrides: Any):
    return compile_snapshot(document(**overrides)).placements["hero"]


SHOE_SIGNALS = {"product_view": {"category": {"shoes": {"count_30m": 3}}}}


def test_decide__context_rule_matches__targeting_match_with_explanation():
    # Given a mobile visitor who granted nothing
    # When the hero is decided
    decision = decide(hero(), visitor(context={"device": "mobile"}))
    # Then the mobile rule wins, personalized, explained by its segment
    assert decision.value == "mobile"
    assert decision.variant == "mobile"
    assert decision.reason is Reason.TARGETING_MATCH
    assert decision.personalized is True
    assert decision.explanation["segment"] == "mobile"
    assert decision.explanation["rule"] == 2
    assert decision.explanation["purposes"] == []


def test_decide__rule_needs_ungranted_purpose__skipped_and_next_rule_wins():
    # Given signals that would match shoe-intent, but personalization is not granted
    v = visitor(context={"device": "mobile"}, signals=SHOE_SIGNALS)
    # When
    decision = decide(hero(), v)
    # Then shoe-intent is skipped for consent and the contextual rule serves
    assert decision.variant == "mobile"


def test_decide__only_consent_rules_and_not_granted__consent_required():
    # Given a desktop visitor without personalization consent
    # When
    decision = decide(hero(), visitor(context={"device": "desktop"}, signals=SHOE_SIGNALS))
    # Then the default is served because a rule needed personalization
    assert decision.reason is Reason.CONSENT_REQUIRED
    assert decision.value == "generic"
    assert decision.personalized is False
    assert decision.explanation["skipped"] == [
        {"rule": 1, "segment": "shoe-intent", "missing_purposes": ["personalization"]}
    ]


def test_decide__personalization_granted__signals_rule_wins_first():
    # Given a mobile visitor with shoe signals and personalization granted
    v = visitor(context={"device": "mobile"}, signals=SHOE_SIGNALS, granted=ALL)
    # When
    decision = decide(hero(), v)
    # Then the first matching rule (shoe-intent) wins and names its purpose
    assert decision.variant == "shoes"
    assert decision.explanation["purposes"] == ["personalization"]
    assert decision.explanation["namespaces"] == ["signals"]
    assert decision.explanation["attributes"] == {
        "signals.product_view.category.shoes.count_30m": 3
    }


def test_decide__no_rule_matches_and_none_skipped__default():
    # Given rules that need no consent and do not match
    placement = hero(rules=[{"order": 1, "segment": "mobile", "variant": "mobile", "rollout": 100}])
    # When
    decision = decide(placement, visitor(context={"device": "desktop"}))
    # Then
    assert (decision.reason, decision.variant, decision.value) == (
        Reason.DEFAULT,
        "default",
        "generic",
    )


def test_decide__placement_disabled__default_with_disabled_reason():
    # Given a switched-off placement
    # When a visitor who would match asks
    decision = decide(hero(enabled=False), visitor(context={"device": "mobile"}))
    # Then the kill switch wins
    assert decision.reason is Reason.DISABLED
    assert decision.value == "generic"


def test_decide__experiment_with_measurement__split_as_growthbook_hashes():
    # Given an everyone-rule pointing at a 50/50 experiment
    placement = hero(rules=[{"order": 1, "segment": None, "experiment": "split", "rollout": 100}])
    # When many subjects who granted measurement are decided
    variants = {}
    for i in range(200):
        subject = f"subject-{i}"
        d = decide(placement, visitor(subject=subject, granted=ALL))
        assert d.reason is Reason.SPLIT
        assert d.explanation["experiment"] == "split"
        variants[subject] = d.variant
    # Then each assignment is GrowthBook's bucket of hash v2 with the experiment seed
    for subject, variant in variants.items():
        n = gbhash("split-seed", subject, 2)
        assert n is not None
        assert variant == ("mobile" if n < 0.5 else "shoes")
    assert set(variants.values()) == {"mobile", "shoes"}


def test_decide__experiment_without_measurement__consent_required():
    # Given the experiment rule and a visitor who granted personalization only
    placement = hero(rules=[{"order": 1, "segment": None, "experiment": "split", "rollout": 100}])
    granted = frozenset({"necessary", "personalization"})
    # When
    decision = decide(placement, visitor(granted=granted))
    # Then no assignment happens
    assert decision.reason is Reason.CONSENT_REQUIRED
    assert decision.explanation["skipped"][0]["missing_purposes"] == ["measurement"]


def test_decide__experiment_not_running__falls_through_to_default():
    # Given a paused experiment
    doc = document(rules=[{"order": 1, "segment": None, "experiment": "split", "rollout": 100}])
    doc["experiments"]["split"]["status"] = "paused"
    placement = compile_snapshot(doc).placements["hero"]
    # When
    decision = decide(placement, visitor(granted=ALL))
    # Then
    assert decision.reason is Reason.DEFAULT


def test_decide__rollout_zero__rule_never_applies():
    # Given a matching rule rolled out to nobody
    placement = hero(rules=[{"order": 1, "segment": "mobile", "variant": "mobile", "rollout": 0}])
    # When
    decision = decide(placement, visitor(context={"device": "mobile"}))
    # Then
    assert decision.reason is Reason.DEFAULT


def test_decide__partial_rollout__deterministic_share_and_anonymous_excluded():
    # Given a matching rule rolled out to 30 %
    placement = hero(rules=[{"order": 1, "segment": "mobile", "variant": "mobile", "rollout": 30}])
    ctx = {"device": "mobile"}
    # When 1,000 subjects ask, twice
    first = [decide(placement, visitor(context=ctx, subject=f"s{i}")).variant for i in range(1000)]
    again = [decide(placement, visitor(context=ctx, subject=f"s{i}")).variant for i in range(1000)]
    # Then about 30 % get it, the same ones each time, and anonymous visitors never do
    assert first == again
    assert 230 < first.count("mobile") < 370
    assert decide(placement, visitor(context=ctx, subject=None)).variant == "default"


def test_decide__broken_placement__error_reason_and_default():
    # Given a rule pointing at a variant that does not exist in the placement
    placement = hero(rules=[{"order": 1, "segment": None, "variant": "ghost", "rollout": 100}])
    # When
    decision = decide(placement, visitor())
    # Then the decision does not raise: default with ERROR
    assert decision.reason is Reason.ERROR
    assert decision.value == "generic"
    assert decision.personalized is False


def test_decide__ungranted_namespace_supplied__engine_still_needs_the_purpose():
    # Given prefs passed in by mistake while personalization is not granted
    placement = hero(rules=[{"order": 1, "segment": "outdoor", "variant": "shoes", "rollout": 100}])
    v = visitor(prefs={"interests": ["outdoor"]})
    # When
    decision = decide(placement, v)
    # Then the rule is skipped for consent, never evaluated
    assert decision.reason is Reason.CONSENT_REQUIRED


@pytest.mark.parametrize("order", [[10, 20], [20, 10]])
def test_compile_snapshot__rules_sorted_by_order__first_match_wins(order):
    # Given two matching rules whose orders are swapped
    rules = [
        {"order": order[0], "segment": None, "variant": "shoes", "rollout": 100},
        {"order": order[1], "segment": None, "variant": "mobile", "rollout": 100},
    ]
    # When
    decision = decide(hero(rules=rules), visitor())
    # Then the lower order wins
    assert decision.variant == ("shoes" if order[0] < order[1] else "mobile")


def test_decide_many__all_keys__one_decision_each():
    # Given a compiled snapshot
    snapshot = compile_snapshot(document())
    # When
    decisions = decide_many(snapshot, visitor(), ["hero"])
    # Then
    assert list(decisions) == ["hero"]
    assert snapshot.revision == 7
