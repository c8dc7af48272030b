"""Tests of the plain-language explanations of recent decisions."""

import pytest

from consent.explain import decision_explain
from consent.selectors import PreferenceSpec

SPECS = {
    "interests": PreferenceSpec(
        key="interests",
        label="Interests",
        noun="interest",
        description="",
        multiple=True,
        options=(("outdoor", "Outdoor"), ("running", "Running")),
    )
}
NAMES = {"personalization": "Personalized content", "measurement": "Measurement"}


@pytest.mark.parametrize(
    ("path", "value", "sentence"),
    [
        ("prefs.interests", ["outdoor"], "Because you chose the interest Outdoor"),
        (
            "prefs.interests",
            ["outdoor", "running"],
            "Because you chose the interest Outdoor, Running",
        ),
        ("prefs.budget", "high", "Because you chose high for budget"),
        (
            "signals.product_view.category.shoes.count_30m",
            3,
            "Because you viewed shoes 3 times in the last 30 minutes",
        ),
        (
            "signals.add_to_cart.category.running_shoes.count_1h",
            1,
            "Because you added to your cart running shoes once in the last 1 hour",
        ),
        ("signals.product_view.category.shoes.last_seen", 12, "Because you viewed shoes recently"),
        ("context.device", "mobile", "Because you are on a mobile device"),
        ("context.utm_campaign", "spring", "Because you arrived from the campaign “spring”"),
        ("context.screen", "large", "Because of screen: large"),
    ],
)
def test_decision_explain__attribute__reads_as_a_plain_sentence(path, value, sentence):
    # Given
    item = {"placement": "home-hero", "variant": "v", "attributes": {path: value}}

    # When
    explained = decision_explain(item, specs=SPECS, purpose_names=NAMES)

    # Then
    assert explained.reasons == (sentence,)


def test_decision_explain__experiment__says_it_is_a_test_and_names_the_purposes():
    # Given
    item = {
        "placement": "checkout",
        "variant": "new",
        "experiment": "new-checkout",
        "purposes": ["measurement"],
        "attributes": {},
    }

    # When
    explained = decision_explain(item, specs=SPECS, purpose_names=NAMES)

    # Then
    assert "the test “new-checkout”" in explained.reasons[0]
    assert explained.purposes == ("Measurement",)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ({"segment": "vip"}, "Because you are in the audience “vip”"),
        ({}, "Shown to every visitor"),
    ],
)
def test_decision_explain__no_attributes__falls_back_to_the_segment_or_everyone(item, reason):
    # Given a minimal item

    # When
    explained = decision_explain(item, specs=SPECS, purpose_names=NAMES)

    # Then
    assert explained.reasons == (reason,)
    assert explained.variant == "default"
