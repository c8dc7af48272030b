"""Conditions for people: the attribute catalogue, catalogue checks, plain words, purposes."""

import pytest

from personalization.models import ContextKey, EventType
from personalization.signals.taxonomy import event_taxonomy_forget
from personalization.workspace.catalogue import attribute_catalogue
from personalization.workspace.conditions import (
    catalogue_check,
    condition_problems,
    condition_purposes,
    describe_condition,
)

pytestmark = pytest.mark.django_db

SHOES_30M = "signals.product_view.category.shoes.count_30m"


@pytest.fixture
def taxonomy():
    EventType.objects.create(key="product_view", properties=["category"])
    event_taxonomy_forget()
    yield
    event_taxonomy_forget()


def test_catalogue__three_sources__context_prefs_and_signals(taxonomy):
    # When the catalogue is read
    catalogue = attribute_catalogue()
    # Then declared context keys, the preference registry and the taxonomy's signals are in it
    device = catalogue.find("context.device")
    assert device is not None and device.type == "string" and "mobile" in device.values
    interests = catalogue.find("prefs.interests")
    assert (
        interests is not None
        and interests.type == "list"
        and interests.purposes == ("personalization",)
    )
    assert catalogue.find("signals.product_view.count_session") is not None
    shoes = catalogue.find(SHOES_30M)
    assert shoes is not None and shoes.is_template and shoes.type == "number"
    assert catalogue.label(SHOES_30M) == (
        "Product view with category shoes: times in the last 30 minutes"
    )


def test_catalogue_check__typo_in_signal__refused_with_suggestion(taxonomy):
    # Given a mistyped event type
    condition = {"signals.product_veiw.category.shoes.count_30m": {"$gte": 3}}
    # When checked against the catalogue
    check = catalogue_check(condition, attribute_catalogue(), allow_free_form=True)
    # Then it is refused (free-form covers context only) with the likely fix
    [problem] = check.problems["signals.product_veiw.category.shoes.count_30m"]
    assert "would never match" in problem
    assert f'Did you mean "{SHOES_30M}"?' in problem


def test_catalogue_check__undeclared_context__refused_unless_free_form(taxonomy):
    condition = {"context.basket_size": {"$gt": 2}}
    refused = catalogue_check(condition, attribute_catalogue(), allow_free_form=False)
    allowed = catalogue_check(condition, attribute_catalogue(), allow_free_form=True)
    assert "Declare it under Context attributes" in refused.problems["context.basket_size"][0]
    assert allowed.problems == {}
    assert "not a declared context attribute" in allowed.warnings[0]


def test_catalogue_check__number_attribute_compared_with_text__refused(taxonomy):
    check = catalogue_check(
        {SHOES_30M: {"$gte": "three"}}, attribute_catalogue(), allow_free_form=False
    )
    assert (
        'is a number; compare it with a number such as 3, not "three"'
        in check.problems[SHOES_30M][0]
    )


def test_catalogue__declared_context_key__offered(db):
    ContextKey.objects.create(key="basket_size", label="Basket size", type="number")
    assert attribute_catalogue().label("context.basket_size") == "Basket size"


def test_describe_condition__builder_shapes__plain_words(taxonomy):
    condition = {
        "context.device": "mobile",
        SHOES_30M: {"$gte": 3},
        "$or": [
            {"prefs.interests": {"$elemMatch": {"$eq": "outdoor"}}},
            {"context.page": {"$ne": "cart"}},
        ],
    }
    assert describe_condition(condition, attribute_catalogue()) == (
        "Device is mobile and Product view with category shoes: times in the last 30 minutes "
        "is at least 3 and (Interests includes outdoor or Page is not cart)"
    )
    assert describe_condition({}, attribute_catalogue()) == "Everyone"


def test_condition_problems__sensitive_attribute__plain_words():
    [problem] = condition_problems({"prefs.religion": "x"})
    assert problem == (
        'The attribute "prefs.religion" can\'t be used: the word "religion" touches religious '
        "or philosophical beliefs, a sensitive category that Tactful never personalizes on."
    )


def test_condition_purposes__engine_manifest__signals_need_personalization():
    assert condition_purposes({"context.device": "mobile"}) == []
    assert condition_purposes({"context.device": "mobile", SHOES_30M: {"$gte": 3}}) == [
        "personalization"
    ]
