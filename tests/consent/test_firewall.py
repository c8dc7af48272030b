"""Tests of the sensitive-data firewall: each category is caught, the demo keys are not."""

import json

import pytest

from consent.firewall import DENYLIST_PATH, denylist, sensitive_problems

CATEGORIES = {
    "health": ["diabetes", "prefs.health_condition", "mentalHealth"],
    "sexual_orientation": ["gay", "sexual_orientation", "LGBTQ"],
    "religion": ["religion", "religious-holidays", "Muslim"],
    "political_opinion": ["political_party", "voter", "Democrats"],
    "ethnicity": ["ethnicity", "racial_origin", "Hispanic"],
    "trade_union": ["trade_union", "union_membership", "labour-union"],
    "biometrics": ["fingerprint", "facial recognition", "dna"],
    "precise_geolocation": ["latitude", "geo.lng", "gps_position"],
}
DEMO = [
    "device",
    "utm_campaign",
    "interests",
    "outdoor",
    "running",
    "fashion",
    "home",
    "product_view",
    "category",
    "shoes",
    "context.device",
    "prefs.interests",
    "signals.product_view.category.shoes.count_30m",
    "local_hour",
    "locale",
    "referrer",
    "screen_orientation",
    "facial-cleanser",
    "race",
]


@pytest.mark.parametrize(
    ("category", "text"),
    [(category, text) for category, texts in CATEGORIES.items() for text in texts],
)
def test_sensitive_problems__denylisted_key__names_its_category(category, text):
    # Given
    label = next(c.label for c in denylist().categories if c.key == category)

    # When
    problems = sensitive_problems(keys=[text])

    # Then
    assert len(problems) == 1
    assert label in problems[0]
    assert repr(text) in problems[0]


@pytest.mark.parametrize("text", DEMO)
def test_sensitive_problems__demo_keys_and_values__pass(text):
    # Given a key or value the demo uses

    # When
    problems = sensitive_problems(keys=[text], values=[text])

    # Then
    assert problems == []


def test_sensitive_problems__value__is_reported_as_a_value():
    # Given

    # When
    problems = sensitive_problems(values=["Catholic church events"])

    # Then
    assert problems and problems[0].startswith("The value 'Catholic church events'")


def test_sensitive_problems__accents_and_case__are_normalised():
    # Given

    # When
    problems = sensitive_problems(keys=["RELIGIÓN"])

    # Then
    assert "religious" in problems[0]


def test_sensitive_problems__stem_inside_a_longer_word__does_not_match():
    # Given words that only contain a denylisted word inside them

    # When
    problems = sensitive_problems(keys=["gaylord_hotels", "relatable", "translation"])

    # Then "gay" is a whole word only, "lat" and "trans…" are not stems
    assert problems == []


def test_denylist__data_file__is_versioned_and_covers_every_category():
    # Given
    data = json.loads(DENYLIST_PATH.read_text())

    # When
    categories = set(data["categories"])

    # Then
    assert data["version"] == denylist().version
    assert categories == set(CATEGORIES)
    assert all(spec["terms"] for spec in data["categories"].values())
