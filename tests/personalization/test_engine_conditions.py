"""Unit tests for the engine's GrowthBook-compatible condition language."""

import math
from typing import Any

import pytest

from personalization.engine.conditions import (
    MAX_DEPTH,
    compile_condition,
    condition_paths,
    evaluate_condition,
    validate_condition,
)

# A selection of GrowthBook's shared evalCondition cases (packages/sdk-js/test/cases.json),
# the executable spec every GrowthBook SDK must pass: (name, condition, attributes, expected).
SHARED_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    ("$not - pass", {"$not": {"name": "hello"}}, {"name": "world"}, True),
    ("$not - fail", {"$not": {"name": "hello"}}, {"name": "hello"}, False),
    (
        "$and/$or - all true",
        {
            "$and": [
                {"father.age": {"$gt": 65}},
                {"$or": [{"bday": {"$regex": "-12-25$"}}, {"name": "santa"}]},
            ]
        },
        {"name": "santa", "bday": "1980-12-25", "father": {"age": 70}},
        True,
    ),
    (
        "$and/$or - first and false",
        {
            "$and": [
                {"father.age": {"$gt": 65}},
                {"$or": [{"bday": {"$regex": "-12-25$"}}, {"name": "santa"}]},
            ]
        },
        {"name": "santa", "bday": "1980-12-25", "father": {"age": 65}},
        False,
    ),
    ("$exists - false pass", {"pets.dog.name": {"$exists": False}}, {"hello": "world"}, True),
    (
        "$exists - false fail",
        {"pets.dog.name": {"$exists": False}},
        {"pets": {"dog": {"name": "fido"}}},
        False,
    ),
    ("$exists - true fail", {"pets.dog.name": {"$exists": True}}, {"hello": "world"}, False),
    (
        "equals - multiple datatypes",
        {"str": "str", "num": 10, "flag": False},
        {"str": "str", "num": 10, "flag": False},
        True,
    ),
    ("$in - pass", {"num": {"$in": [1, 2, 3]}}, {"num": 2}, True),
    ("$in - not array", {"num": {"$in": 1}}, {"num": 1}, False),
    ("$in - array pass", {"tags": {"$in": ["a", "b"]}}, {"tags": ["d", "e", "a"]}, True),
    ("$in - array fail 2", {"tags": {"$in": ["a", "b"]}}, {"tags": []}, False),
    ("$nin - pass", {"num": {"$nin": [1, 2, 3]}}, {"num": 4}, True),
    ("$nin - not array", {"num": {"$nin": 1}}, {"num": 1}, False),
    ("$nin - array fail", {"tags": {"$nin": ["a", "b"]}}, {"tags": ["d", "b", "f"]}, False),
    ("$nin - array pass 2", {"tags": {"$nin": ["a", "b"]}}, {"tags": []}, True),
    (
        "$elemMatch - pass - flat arrays",
        {"nums": {"$elemMatch": {"$gt": 10}}},
        {"nums": [0, 5, -20, 15]},
        True,
    ),
    (
        "missing attribute - fail",
        {"pets.dog.name": {"$in": ["fido"]}},
        {"hello": "world"},
        False,
    ),
    (
        "missing attribute with comparison operators",
        {"age": {"$gt": -10, "$lt": 10, "$gte": -9, "$lte": 9, "$ne": 10}},
        {},
        True,
    ),
    ("comparing numbers and strings", {"n": {"$gt": 5, "$lt": 10}}, {"n": "8"}, True),
    ("comparing numbers and strings - v2", {"n": {"$gt": "5", "$lt": "10"}}, {"n": 8}, True),
    ("empty $or - pass", {"$or": []}, {"hello": "world"}, True),
    ("empty $and - pass", {"$and": []}, {"hello": "world"}, True),
    ("empty - pass", {}, {"hello": "world"}, True),
    ("$ne - fail", {"level": {"$ne": "senior"}}, {"level": "senior"}, False),
    (
        "$regex - pass",
        {"userAgent": {"$regex": "(Mobile|Tablet)"}},
        {"userAgent": "Android Mobile Browser"},
        True,
    ),
    (
        "$gt/$lt strings - fail uppercase",
        {"word": {"$gt": "alphabet", "$lt": "zebra"}},
        {"word": "AZL"},
        False,
    ),
    ("nested value is null", {"address.state": "CA"}, {"address": None}, False),
    ("nested value is integer", {"address.state": "CA"}, {"address": 123}, False),
    ("$type null - pass", {"a": {"$type": "null"}}, {"a": None}, True),
    ("$type boolean - fail", {"a": {"$type": "boolean"}}, {"a": 1}, False),
    ("$type array - pass", {"a": {"$type": "array"}}, {"a": [1, 2]}, True),
    ("unknown operator - pass", {"name": {"$regx": "hello"}}, {"name": "hello"}, False),
    ("$regex invalid - pass", {"name": {"$regex": "/???***[)"}}, {"name": "hello"}, False),
    ("$size empty - pass", {"tags": {"$size": 0}}, {"tags": []}, True),
    ("$size number - fail not array", {"tags": {"$size": 3}}, {"tags": "abc"}, False),
    ("$size nested - pass", {"tags": {"$size": {"$gt": 2}}}, {"tags": [0, 1, 2]}, True),
    (
        "$elemMatch not contains - pass",
        {"tags": {"$not": {"$elemMatch": {"$eq": "bar"}}}},
        {"tags": ["foo", "baz"]},
        True,
    ),
    (
        "$elemMatch nested - pass",
        {"hobbies": {"$elemMatch": {"name": {"$regex": "^ping"}}}},
        {"hobbies": [{"name": "bowling"}, {"name": "pingpong"}, {"name": "tennis"}]},
        True,
    ),
    ("$all - fail", {"tags": {"$all": ["one", "three"]}}, {"tags": ["one", "two", "four"]}, False),
    (
        "$nor - fail second",
        {"$nor": [{"name": "john"}, {"age": {"$lt": 30}}]},
        {"name": "jim", "age": 20},
        False,
    ),
    (
        "equals array - fail order",
        {"tags": ["hello", "world"]},
        {"tags": ["world", "hello"]},
        False,
    ),
    (
        "equals object - fail extra property",
        {"tags": {"hello": "world"}},
        {"tags": {"hello": "world", "yes": "please"}},
        False,
    ),
    ("null condition - missing attribute", {"userId": None}, {}, True),
    ("null condition - zero attribute", {"userId": None}, {"userId": 0}, False),
    ("false condition - missing attribute", {"userId": False}, {}, False),
    ("false strict condition - missing attribute", {"userId": {"$eq": False}}, {}, False),
    (
        "$vgt/$vlt prerelease - pass",
        {"v": {"$vgt": "1.0.0-alpha", "$vlt": "1.0.0-beta"}},
        {"v": "1.0.0-alpha.10"},
        True,
    ),
    ("$veq - pass (with build)", {"v": {"$veq": "1.2.3"}}, {"v": "1.2.3+build.abc.123"}, True),
    (
        "version 1.0.0-beta.2 < 1.0.0-beta.11",
        {"version": {"$vlt": "1.0.0-beta.11"}},
        {"version": "1.0.0-beta.2"},
        True,
    ),
    (
        "version 1.2.3-r100 > 1.2.3-R2",
        {"version": {"$vgt": "1.2.3-R2"}},
        {"version": "1.2.3-r100"},
        True,
    ),
    ("version 1-2-3 == v1.2.3", {"version": {"$veq": "v1.2.3"}}, {"version": "1-2-3"}, True),
    ("version 1.2.3.4 == 1.2.3-4", {"version": {"$veq": "1.2.3-4"}}, {"version": "1.2.3.4"}, True),
    (
        "$or pass but second condition fail",
        {"$or": [{"foo": 1}, {"bar": 1}], "baz": 2},
        {"foo": 1, "bar": 2, "baz": 1},
        False,
    ),
    ("$ini - pass (mixed case)", {"country": {"$ini": ["Us", "Uk"]}}, {"country": "US"}, True),
    ("$nini - array fail 2", {"tags": {"$nini": ["A", "B"]}}, {"tags": ["d", "b", "f"]}, False),
    ("$alli - pass", {"tags": {"$alli": ["A", "B"]}}, {"tags": ["a", "b", "c"]}, True),
    ("$regexi - fail", {"ua": {"$regexi": "(mobile|tablet)"}}, {"ua": "Chrome Desktop"}, False),
    ("$notRegex vs missing attribute", {"name": {"$notRegex": "abc"}}, {}, True),
    ("$ne string vs missing attribute", {"country": {"$ne": "de"}}, {}, True),
]


@pytest.mark.parametrize(
    ("condition", "attributes", "expected"),
    [case[1:] for case in SHARED_CASES],
    ids=[case[0] for case in SHARED_CASES],
)
def test_evaluate_condition__shared_growthbook_case__gives_the_specified_result(
    condition: dict[str, Any], attributes: dict[str, Any], expected: bool
) -> None:
    # Given a case from GrowthBook's shared SDK test suite
    # When it is evaluated
    result = evaluate_condition(condition, attributes)
    # Then it gives the result every GrowthBook SDK must give
    assert result is expected


# --- Literal equality ---------------------------------------------------------------------------


def test_literal__same_string__matches() -> None:
    # Given a condition that compares a path with a string
    condition = {"context.device": "mobile"}
    # When the attribute holds that string, or another one
    matching = evaluate_condition(condition, {"context": {"device": "mobile"}})
    other = evaluate_condition(condition, {"context": {"device": "desktop"}})
    # Then only the same string matches
    assert matching is True
    assert other is False


def test_literal__number__matches_equal_int_or_float() -> None:
    # Given a condition that compares a path with a number
    condition = {"signals.views": 3}
    # When the attribute is 3, 3.0 or 4
    results = [evaluate_condition(condition, {"signals": {"views": v}}) for v in (3, 3.0, 4)]
    # Then 3 and 3.0 are the same number
    assert results == [True, True, False]


def test_literal__null__matches_null_and_missing_only() -> None:
    # Given a condition that compares a path with null
    condition = {"prefs.name": None}
    # When the attribute is null, missing, empty or false
    results = [
        evaluate_condition(condition, {"prefs": {"name": None}}),
        evaluate_condition(condition, {"prefs": {}}),
        evaluate_condition(condition, {"prefs": {"name": ""}}),
        evaluate_condition(condition, {"prefs": {"name": False}}),
    ]
    # Then only null and a missing attribute match
    assert results == [True, True, False, False]


def test_literal__array__matches_equal_array_in_order() -> None:
    # Given a condition that compares a path with an array
    condition = {"prefs.tags": ["a", 1, None]}
    # When the attribute is the same array, with 1.0 for 1, or reordered
    same = evaluate_condition(condition, {"prefs": {"tags": ["a", 1.0, None]}})
    reordered = evaluate_condition(condition, {"prefs": {"tags": [1, "a", None]}})
    # Then only the same elements in the same order match
    assert same is True
    assert reordered is False


def test_literal__object__compares_keys_in_javascript_property_order() -> None:
    # Given a condition that compares a path with an object whose keys include array indices
    condition = {"prefs.profile": {"b": 1, "2": True, "a": None}}
    # When the attribute has the same keys inserted in another order
    same_text = evaluate_condition(
        condition, {"prefs": {"profile": {"2": True, "b": 1, "a": None}}}
    )
    other_text = evaluate_condition(
        condition, {"prefs": {"profile": {"a": None, "b": 1, "2": True}}}
    )
    # Then index keys sort first as in JSON.stringify, while other keys keep their order
    assert same_text is True
    assert other_text is False


def test_literal__object_with_non_finite_number__equals_null_like_json() -> None:
    # Given a condition comparing with an array holding null
    condition = {"signals.scores": [None]}
    # When the attribute array holds NaN or infinity, which JSON.stringify writes as null
    results = [
        evaluate_condition(condition, {"signals": {"scores": [math.nan]}}),
        evaluate_condition(condition, {"signals": {"scores": [math.inf]}}),
    ]
    # Then they compare equal
    assert results == [True, True]


# --- $eq / $ne ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operand", "value", "expected"),
    [
        ("mobile", "mobile", True),
        ("mobile", "Mobile", False),
        (5, 5.0, True),
        (5, "5", False),
        (True, 1, False),
        (True, True, True),
        (None, None, True),
        (0, None, False),
        ([1], [1], False),
        ({"a": 1}, {"a": 1}, False),
        (2**53 + 1, 2**53, True),
    ],
)
def test_eq__operand_and_value__compares_like_javascript_strict_equality(
    operand: Any, value: Any, expected: bool
) -> None:
    # Given an $eq condition
    condition = {"context.x": {"$eq": operand}}
    # When the attribute holds the value
    result = evaluate_condition(condition, {"context": {"x": value}})
    # Then it matches only a value of the same type (and never an array or object)
    assert result is expected


def test_ne__missing_attribute__matches() -> None:
    # Given a $ne condition
    condition = {"context.country": {"$ne": "de"}}
    # When the attribute is missing, equal, or different
    results = [
        evaluate_condition(condition, {}),
        evaluate_condition(condition, {"context": {"country": "de"}}),
        evaluate_condition(condition, {"context": {"country": "fr"}}),
    ]
    # Then everything but the equal value matches
    assert results == [True, False, True]


# --- $lt / $lte / $gt / $gte ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("$lt", 4, True),
        ("$lt", 5, False),
        ("$lte", 5, True),
        ("$lte", 5.5, False),
        ("$gt", 6, True),
        ("$gt", 5, False),
        ("$gte", 5, True),
        ("$gte", 4.99, False),
    ],
)
def test_ordering__numbers__compare_numerically(operator: str, value: Any, expected: bool) -> None:
    # Given an ordering against 5
    condition = {"signals.count": {operator: 5}}
    # When the attribute is a number
    result = evaluate_condition(condition, {"signals": {"count": value}})
    # Then numbers compare by value
    assert result is expected


def test_ordering__strings__compare_as_text() -> None:
    # Given an ordering between two words
    condition = {"context.word": {"$gt": "alphabet", "$lt": "zebra"}}
    # When the attribute is a word between them, an upper-case word, or an edge word
    results = [
        evaluate_condition(condition, {"context": {"word": w}})
        for w in ("always", "AZL", "alphabet", "zebra")
    ]
    # Then text order decides, with upper case before lower case
    assert results == [True, False, False, False]


def test_ordering__non_ascii_strings__compare_by_utf16_code_units() -> None:
    # Given an ordering against a character from the private use area (U+E000)
    condition = {"context.word": {"$lt": "\ue000"}}
    # When the attribute is an emoji, whose UTF-16 surrogates sort before U+E000
    result = evaluate_condition(condition, {"context": {"word": "\U0001f600"}})
    # Then it sorts first, as in JavaScript (code point order would say the opposite)
    assert result is True


def test_ordering__nan_or_non_numeric_text__never_matches() -> None:
    # Given orderings against a number
    conditions = [{"signals.x": {op: 1}} for op in ("$lt", "$lte", "$gt", "$gte")]
    # When the attribute is NaN, non-numeric text or an object
    results = [
        evaluate_condition(c, {"signals": {"x": v}})
        for c in conditions
        for v in (math.nan, "abc", {"a": 1})
    ]
    # Then no comparison holds
    assert not any(results)


def test_ordering__huge_integer__compares_as_infinity_without_raising() -> None:
    # Given an ordering against a large number
    condition = {"signals.x": {"$gt": 1e308}}
    # When the attribute is an integer too large for a float
    result = evaluate_condition(condition, {"signals": {"x": 10**400}})
    # Then it reads as Infinity, as JSON.parse would make it
    assert result is True


# --- $in / $nin / $ini / $nini ------------------------------------------------------------------


def test_in__scalar_attribute__matches_listed_values() -> None:
    # Given an $in condition
    condition = {"context.device": {"$in": ["mobile", "tablet", 1, None, True]}}
    # When the attribute is listed, unlisted, 1.0, missing, or 1 vs true
    results = [
        evaluate_condition(condition, {"context": {"device": v}})
        for v in ("tablet", "desktop", 1.0, None, True)
    ] + [evaluate_condition(condition, {})]
    # Then listed values match, including null for a missing attribute
    assert results == [True, False, True, True, True, True]


def test_in__booleans_and_numbers__stay_distinct() -> None:
    # Given an $in list with 1 and 0 but no booleans
    condition = {"context.flag": {"$in": [1, 0]}}
    # When the attribute is true or false
    results = [evaluate_condition(condition, {"context": {"flag": v}}) for v in (True, False)]
    # Then booleans are not numbers
    assert results == [False, False]


def test_in__array_attribute__matches_when_any_element_is_listed() -> None:
    # Given an $in condition
    condition = {"prefs.interests": {"$in": ["shoes", "bags"]}}
    # When the attribute array shares an element, shares none, or is empty
    results = [
        evaluate_condition(condition, {"prefs": {"interests": v}})
        for v in (["hats", "bags"], ["hats"], [])
    ]
    # Then any shared element is enough
    assert results == [True, False, False]


def test_in__objects_and_arrays__never_match() -> None:
    # Given an $in list holding an object and an array
    condition = {"prefs.x": {"$in": [{"a": 1}, [1]]}}
    # When the attribute is an equal object or array
    results = [evaluate_condition(condition, {"prefs": {"x": v}}) for v in ({"a": 1}, [[1]])]
    # Then JavaScript's reference comparison never matches
    assert results == [False, False]


def test_in__nan__finds_nan_like_array_includes() -> None:
    # Given an $in list holding NaN
    condition = {"signals.x": {"$in": [math.nan]}}
    # When the attribute is NaN
    result = evaluate_condition(condition, {"signals": {"x": math.nan}})
    # Then Array.prototype.includes (SameValueZero) finds it
    assert result is True


def test_nin__missing_attribute__matches_unless_null_is_listed() -> None:
    # Given two $nin conditions, one listing null
    plain = {"context.country": {"$nin": ["de"]}}
    with_null = {"context.country": {"$nin": ["de", None]}}
    # When the attribute is missing
    results = [evaluate_condition(plain, {}), evaluate_condition(with_null, {})]
    # Then only the list with null excludes it
    assert results == [True, False]


def test_ini__mixed_case__matches_case_insensitively() -> None:
    # Given $ini and $nini conditions
    included = {"context.country": {"$ini": ["us", "UK"]}}
    excluded = {"context.country": {"$nini": ["us", "UK"]}}
    # When the attribute differs only in case, or is an array with such an element
    results = [
        evaluate_condition(included, {"context": {"country": "US"}}),
        evaluate_condition(included, {"context": {"country": ["de", "uk"]}}),
        evaluate_condition(excluded, {"context": {"country": "Us"}}),
        evaluate_condition(excluded, {"context": {"country": "DE"}}),
    ]
    # Then case is ignored
    assert results == [True, True, False, True]


def test_ini__non_string_values__compare_strictly() -> None:
    # Given an $ini list with a number
    condition = {"context.x": {"$ini": [5]}}
    # When the attribute is 5 or "5"
    results = [evaluate_condition(condition, {"context": {"x": v}}) for v in (5, "5")]
    # Then only the number matches
    assert results == [True, False]


# --- $all / $alli ------------------------------------------------------------------------------


def test_all__every_listed_value_present__matches() -> None:
    # Given an $all condition
    condition = {"prefs.tags": {"$all": ["one", "three"]}}
    # When the array has every value, misses one, or isn't an array
    results = [
        evaluate_condition(condition, {"prefs": {"tags": v}})
        for v in (["one", "two", "three"], ["one", "two"], "one three")
    ]
    # Then every value must be present in an array
    assert results == [True, False, False]


def test_all__operator_items__test_elements() -> None:
    # Given an $all whose items are conditions
    condition = {"signals.scores": {"$all": [{"$gt": 10}, {"$lt": 0}]}}
    # When the array has elements satisfying each, or only one
    results = [
        evaluate_condition(condition, {"signals": {"scores": v}}) for v in ([-1, 20], [20, 30])
    ]
    # Then each item needs an element of its own
    assert results == [True, False]


def test_all__empty_list__matches_any_array() -> None:
    # Given an $all with nothing required
    condition: dict[str, Any] = {"prefs.tags": {"$all": []}}
    # When the attribute is an empty array, or missing
    results = [
        evaluate_condition(condition, {"prefs": {"tags": []}}),
        evaluate_condition(condition, {}),
    ]
    # Then any array matches, but a missing attribute does not
    assert results == [True, False]


def test_alli__mixed_case__matches_case_insensitively() -> None:
    # Given an $alli condition
    condition = {"prefs.tags": {"$alli": ["One", "THREE"]}}
    # When the array holds the values in other cases
    result = evaluate_condition(condition, {"prefs": {"tags": ["one", "two", "three"]}})
    # Then case is ignored
    assert result is True


def test_all__non_list_operand__never_matches() -> None:
    # Given $all and $alli with a string operand
    conditions = [{"prefs.tags": {op: "one"}} for op in ("$all", "$alli")]
    # When the attribute holds that string
    results = [evaluate_condition(c, {"prefs": {"tags": ["one"]}}) for c in conditions]
    # Then they fail, as in GrowthBook
    assert results == [False, False]


# --- $elemMatch --------------------------------------------------------------------------------


def test_elem_match__operators__test_each_element() -> None:
    # Given an $elemMatch with operators
    condition = {"prefs.interests": {"$elemMatch": {"$in": ["shoes"], "$ne": "bags"}}}
    # When one element satisfies all operators, or none does
    results = [
        evaluate_condition(condition, {"prefs": {"interests": v}})
        for v in (["hats", "shoes"], ["hats"], "shoes")
    ]
    # Then one matching element is enough, and non-arrays never match
    assert results == [True, False, False]


def test_elem_match__fields__test_each_element_object() -> None:
    # Given an $elemMatch on element fields, combined with $or
    condition = {
        "signals.cart": {
            "$elemMatch": {"sku": {"$regex": "^SH"}, "$or": [{"qty": {"$gte": 2}}, {"gift": True}]}
        }
    }
    # When one element satisfies every field test, or elements only satisfy parts
    matching = {"signals": {"cart": [{"sku": "BG1", "qty": 5}, {"sku": "SH2", "gift": True}]}}
    partial = {"signals": {"cart": [{"sku": "BG1", "qty": 5}, {"sku": "SH2", "qty": 1}]}}
    results = [evaluate_condition(condition, matching), evaluate_condition(condition, partial)]
    # Then a single element must satisfy all of it
    assert results == [True, False]


def test_elem_match__nested_paths__read_from_each_element() -> None:
    # Given an $elemMatch whose paths are relative to each element
    condition = {"signals.orders": {"$elemMatch": {"shipping.country": "DE"}}}
    # When an element has the nested field
    result = evaluate_condition(
        condition, {"signals": {"orders": [{"shipping": {"country": "DE"}}]}}
    )
    # Then it matches
    assert result is True


def test_elem_match__empty_object__matches_any_truthy_element() -> None:
    # Given an $elemMatch with no conditions
    condition: dict[str, Any] = {"prefs.tags": {"$elemMatch": {}}}
    # When the array has a truthy element, or only falsy ones
    results = [
        evaluate_condition(condition, {"prefs": {"tags": v}}) for v in (["x"], [0, "", None])
    ]
    # Then only a truthy element counts
    assert results == [True, False]


# --- $size --------------------------------------------------------------------------------------


def test_size__number_or_operators__test_array_length() -> None:
    # Given $size conditions
    exact = {"prefs.tags": {"$size": 2}}
    ranged = {"prefs.tags": {"$size": {"$gte": 1, "$lt": 3}}}
    # When the attribute has two, zero or three elements, or is text
    results = [
        evaluate_condition(exact, {"prefs": {"tags": ["a", "b"]}}),
        evaluate_condition(exact, {"prefs": {"tags": "ab"}}),
        evaluate_condition(ranged, {"prefs": {"tags": []}}),
        evaluate_condition(ranged, {"prefs": {"tags": ["a", "b", "c"]}}),
        evaluate_condition(ranged, {"prefs": {"tags": ["a"]}}),
    ]
    # Then only array lengths are tested
    assert results == [True, False, False, False, True]


# --- $exists / $type ----------------------------------------------------------------------------


def test_exists__null_value__counts_as_absent() -> None:
    # Given $exists true and false
    present = {"prefs.name": {"$exists": True}}
    absent = {"prefs.name": {"$exists": False}}
    # When the attribute is null, missing, or a falsy value
    results = [
        evaluate_condition(present, {"prefs": {"name": None}}),
        evaluate_condition(absent, {"prefs": {"name": None}}),
        evaluate_condition(absent, {}),
        evaluate_condition(present, {"prefs": {"name": 0}}),
        evaluate_condition(present, {"prefs": {"name": ""}}),
    ]
    # Then null and missing are absent, while 0 and "" exist
    assert results == [False, True, True, True, True]


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        ("x", "string"),
        (1, "number"),
        (1.5, "number"),
        (10**400, "number"),
        (True, "boolean"),
        (None, "null"),
        ([], "array"),
        ({}, "object"),
    ],
)
def test_type__json_value__has_its_javascript_type_name(value: Any, type_name: str) -> None:
    # Given a $type condition for the expected name
    condition = {"context.x": {"$type": type_name}}
    # When the attribute holds the value
    result = evaluate_condition(condition, {"context": {"x": value}})
    # Then the type name matches (ints and floats are both "number")
    assert result is True


def test_type__missing_attribute__is_null_not_undefined() -> None:
    # Given $type conditions for "null" and "undefined"
    null = {"context.x": {"$type": "null"}}
    undefined = {"context.x": {"$type": "undefined"}}
    # When the attribute is missing
    results = [evaluate_condition(null, {}), evaluate_condition(undefined, {})]
    # Then GrowthBook reads a missing attribute as null
    assert results == [True, False]


# --- $regex family ------------------------------------------------------------------------------


def test_regex__pattern__searches_anywhere() -> None:
    # Given $regex and $regexi conditions
    sensitive = {"context.ua": {"$regex": "Mobile|Tablet"}}
    insensitive = {"context.ua": {"$regexi": "mobile"}}
    # When the attribute contains the words in some case
    results = [
        evaluate_condition(sensitive, {"context": {"ua": "Android Mobile Safari"}}),
        evaluate_condition(sensitive, {"context": {"ua": "android mobile safari"}}),
        evaluate_condition(insensitive, {"context": {"ua": "Android MOBILE Safari"}}),
    ]
    # Then $regex is case-sensitive and $regexi is not
    assert results == [True, False, True]


def test_not_regex__pattern__negates_regex() -> None:
    # Given $notRegex and $notRegexi conditions
    sensitive = {"context.ua": {"$notRegex": "Mobile"}}
    insensitive = {"context.ua": {"$notRegexi": "MOBILE"}}
    # When the attribute matches in another case
    results = [
        evaluate_condition(sensitive, {"context": {"ua": "mobile"}}),
        evaluate_condition(insensitive, {"context": {"ua": "mobile"}}),
    ]
    # Then only the case-insensitive negation rejects it
    assert results == [True, False]


def test_regex__invalid_pattern__never_matches_and_its_negation_always_does() -> None:
    # Given conditions with a pattern that doesn't compile
    conditions = [{"context.x": {op: "(("}} for op in ("$regex", "$notRegex")]
    # When evaluated
    results = [evaluate_condition(c, {"context": {"x": "(("}}) for c in conditions]
    # Then $regex fails and $notRegex passes, as in GrowthBook
    assert results == [False, True]


def test_regex__non_string_operand__never_matches() -> None:
    # Given a $regex whose operand is a number
    condition = {"context.x": {"$regex": 5}}
    # When the attribute is "5"
    result = evaluate_condition(condition, {"context": {"x": "5"}})
    # Then it fails, as RegExp construction from a number fails in GrowthBook's SDK
    assert result is False


def test_regex__slash_in_pattern__is_a_literal_slash() -> None:
    # Given a pattern with an unescaped slash, which GrowthBook escapes for RegExp
    condition = {"context.path": {"$regex": "^/shop/"}}
    # When the attribute starts with that path
    result = evaluate_condition(condition, {"context": {"path": "/shop/shoes"}})
    # Then it matches
    assert result is True


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("^[^]$", "\n", True),
        ("[]", "anything", False),
        ("a{,2}", "a{,2}", True),
        ("\\cJ", "\n", True),
        ("\\x41\\u0042", "AB", True),
        ("[\\d-]+$", "12-3", True),
        ("[^\\D]", "x1", True),
        ("[^\\D]", "xy", False),
        ("\\bcat\\b", "a cat!", True),
        ("\\Bat", "cat", True),
        ("(?<year>\\d{4})-(?<month>\\d\\d)", "2024-05", True),
        ("\\q\\A", "qA", True),
        ("a+?b", "aab", True),
        ("\\s", "\u00a0", True),
        ("\\s", "\x1c", False),
    ],
)
def test_regex__javascript_syntax__matches_like_javascript(
    pattern: str, value: str, expected: bool
) -> None:
    # Given a pattern written in JavaScript's RegExp syntax
    condition = {"context.x": {"$regex": pattern}}
    # When it is tested against the value
    result = evaluate_condition(condition, {"context": {"x": value}})
    # Then the result is what JavaScript's RegExp gives
    assert result is expected


@pytest.mark.parametrize(
    "pattern",
    ["(?P<n>a)", "(?i)a", "a*+", "a{2}+", "a??+", "(?#note)a", "(?>a)", "[a", "\\"],
)
def test_regex__syntax_javascript_rejects__is_invalid(pattern: str) -> None:
    # Given a pattern JavaScript's RegExp rejects, though Python's re may accept it
    condition = {"context.x": {"$regex": pattern}}
    # When validated and evaluated
    problems = validate_condition(condition)
    result = evaluate_condition(condition, {"context": {"x": "a"}})
    # Then it is reported and never matches
    assert any("is not a valid regular expression" in p for p in problems)
    assert result is False


# --- $not ---------------------------------------------------------------------------------------


def test_not__value_operators__negates_them() -> None:
    # Given a value-level $not
    condition = {"context.email": {"$not": {"$regex": "@example\\.com$"}}}
    # When the attribute matches the inner operator or not
    results = [
        evaluate_condition(condition, {"context": {"email": e}})
        for e in ("a@example.com", "a@shop.com")
    ]
    # Then the result is inverted
    assert results == [False, True]


def test_not__condition__negates_it() -> None:
    # Given a condition-level $not
    condition = {"$not": {"context.device": "mobile", "prefs.newsletter": True}}
    # When both inner tests pass, or only one does
    both = {"context": {"device": "mobile"}, "prefs": {"newsletter": True}}
    one = {"context": {"device": "mobile"}, "prefs": {"newsletter": False}}
    results = [evaluate_condition(condition, both), evaluate_condition(condition, one)]
    # Then the combined result is inverted
    assert results == [False, True]


# --- $and / $or / $nor --------------------------------------------------------------------------


def test_logical__nested_and_or_nor__combine_conditions() -> None:
    # Given a condition combining $and, $or and $nor
    condition = {
        "$and": [
            {"$or": [{"context.device": "mobile"}, {"context.device": "tablet"}]},
            {"$nor": [{"context.country": "DE"}, {"prefs.optout": True}]},
        ]
    }
    # When attributes satisfy all parts, or fail the $or, or trip the $nor
    ok = {"context": {"device": "tablet", "country": "FR"}, "prefs": {}}
    wrong_device = {"context": {"device": "desktop", "country": "FR"}}
    opted_out = {"context": {"device": "mobile", "country": "FR"}, "prefs": {"optout": True}}
    results = [evaluate_condition(condition, a) for a in (ok, wrong_device, opted_out)]
    # Then each operator plays its part
    assert results == [True, False, False]


def test_nor__empty_list__never_matches() -> None:
    # Given an empty $nor, which negates an empty (matching) $or
    condition: dict[str, Any] = {"$nor": []}
    # When evaluated
    result = evaluate_condition(condition, {})
    # Then it fails, as in GrowthBook
    assert result is False


# --- Versions -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "operand", "value", "expected"),
    [
        ("$vgt", "1.2.3-beta", "1.2.3", True),
        ("$vlt", "1.2.3", "1.2.3-beta", True),
        ("$veq", "1.2", "v1.2", True),
        ("$veq", "1.2.0", "v1.2", False),
        ("$vgte", "1.10.0", "1.9.9", False),
        ("$vlte", "10.0.0", "9.99.99", True),
        ("$vne", "1.2.3", "1.2.3+build", False),
        ("$vgt", "1.0.0-alpha", "1.0.0-ALPHA", False),
        ("$vgt", "9.0.0", "10.0.0", True),
    ],
)
def test_version__semver_strings__compare_with_padding(
    operator: str, operand: str, value: str, expected: bool
) -> None:
    # Given a version comparison
    condition = {"context.app_version": {operator: operand}}
    # When the attribute holds a version
    result = evaluate_condition(condition, {"context": {"app_version": value}})
    # Then parts compare numerically, pre-releases sort first and build metadata is ignored
    assert result is expected


# --- Paths --------------------------------------------------------------------------------------


def test_path__deeply_nested__reads_through_objects() -> None:
    # Given a condition on a five-part path
    condition = {"signals.product_view.category.shoes.30m": {"$gte": 3}}
    # When the attributes nest that deep, or stop early
    deep = {"signals": {"product_view": {"category": {"shoes": {"30m": 4}}}}}
    shallow = {"signals": {"product_view": {"category": "shoes"}}}
    results = [evaluate_condition(condition, deep), evaluate_condition(condition, shallow)]
    # Then the value is found, and a broken path reads as null
    assert results == [True, False]


def test_path__array_index_and_length__read_from_arrays() -> None:
    # Given conditions on an array's first element and length
    first = {"prefs.interests.0": "shoes"}
    length = {"prefs.interests.length": {"$gt": 1}}
    padded_index = {"prefs.interests.00": "shoes"}
    # When the attribute is an array
    attributes = {"prefs": {"interests": ["shoes", "bags"]}}
    results = [evaluate_condition(c, attributes) for c in (first, length, padded_index)]
    # Then canonical indices and length are readable, other keys are not
    assert results == [True, True, False]


def test_path__string_value__has_no_properties() -> None:
    # Given a condition on a string's length
    condition = {"context.device.length": {"$exists": True}}
    # When the attribute is a string
    result = evaluate_condition(condition, {"context": {"device": "mobile"}})
    # Then strings are not traversed
    assert result is False


def test_path__mapping_attributes__are_read_like_dicts() -> None:
    # Given attributes held in a read-only mapping
    from types import MappingProxyType

    attributes = MappingProxyType({"context": MappingProxyType({"device": "mobile"})})
    # When a condition reads them
    result = evaluate_condition({"context.device": "mobile"}, attributes)
    # Then any mapping works as an object
    assert result is True


# --- Invalid conditions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        {"context.x": {"$regx": 1}},
        {"context.x": {"$inGroup": "group"}},
        {"context.x": {"$notInGroup": "group"}},
        {"$and": {"context.x": 1}},
        {"$or": "context.x"},
        {"$nor": [1]},
        {"$not": ["context.x"]},
        {"context.x": {"$elemMatch": 5}},
        {"context.x": {"$elemMatch": {"$or": [{"a": 1}]}}},
        {"context.x": {"$gt": 1, "$bogus": 2}},
        {"context.x": (1, 2)},
        {1: "x"},
    ],
)
def test_compile_condition__malformed__never_matches_even_negated(condition: Any) -> None:
    # Given a malformed condition, used plainly and under $not and $nor
    variants = [condition, {"$not": condition}, {"$nor": [condition]}]
    # When evaluated against attributes that would satisfy any reasonable reading
    results = [evaluate_condition(v, {"context": {"x": 1}}) for v in variants]
    # Then none of them matches
    assert results == [False, False, False]


def test_compile_condition__unknown_operator_inside_or__fails_the_whole_condition() -> None:
    """GrowthBook would treat the bad branch as unknown and let the other branch match.

    Our rule is stricter on purpose: a malformed condition matches nothing as a whole.
    """
    # Given an $or with one malformed branch and one valid, satisfied branch
    condition = {"$or": [{"context.x": {"$bad": 1}}, {"context.y": 1}]}
    # When evaluated
    result = evaluate_condition(condition, {"context": {"y": 1}})
    # Then nothing matches
    assert result is False


@pytest.mark.parametrize("condition", [None, [], "context.x", 5])
def test_compile_condition__not_an_object__never_matches(condition: Any) -> None:
    # Given something that isn't a condition object
    # When compiled and evaluated
    result = compile_condition(condition)({})
    # Then it never matches
    assert result is False


def _nested_not(levels: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"context.x": 1}
    for _ in range(levels - 1):
        condition = {"$not": condition}
    return condition


def test_compile_condition__at_max_depth__still_evaluates() -> None:
    # Given a condition exactly MAX_DEPTH objects deep
    condition = _nested_not(MAX_DEPTH)
    # When evaluated for attributes that pass and fail the innermost test
    results = {evaluate_condition(condition, {"context": {"x": x}}) for x in (1, 2)}
    # Then it really evaluates: one of them matches
    assert results == {True, False}


def test_compile_condition__deeper_than_max_depth__never_matches() -> None:
    # Given a condition nested one level deeper than allowed (and one much deeper)
    conditions = [_nested_not(MAX_DEPTH + 2), _nested_not(5000)]
    # When evaluated
    results = [evaluate_condition(c, {"context": {"x": 1}}) for c in conditions]
    # Then it never matches, without hitting the recursion limit
    assert results == [False, False]


def test_compile_condition__cyclic_condition__never_matches() -> None:
    # Given a condition that contains itself
    condition: dict[str, Any] = {"context.x": 1}
    condition["$not"] = condition
    # When evaluated
    result = evaluate_condition(condition, {"context": {"x": 1}})
    # Then it never matches
    assert result is False


# --- Robustness ---------------------------------------------------------------------------------


class _Explosive:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("boom")

    def __hash__(self) -> int:
        raise RuntimeError("boom")

    def __str__(self) -> str:
        raise RuntimeError("boom")


def _cyclic_list() -> list[Any]:
    items: list[Any] = ["x"]
    items.append(items)
    return items


def _deep_list(levels: int) -> list[Any]:
    items: list[Any] = []
    for _ in range(levels):
        items = [items]
    return items


@pytest.mark.parametrize(
    "attributes",
    [
        None,
        [],
        "text",
        {"context": _Explosive()},
        {"context": {"x": _Explosive()}},
        {"context": {"x": _cyclic_list()}},
        {"context": {"x": _deep_list(100_000)}},
        {"context": {"x": 10**5000}},
        {"context": {"x": math.nan}},
    ],
)
def test_compiled_condition__hostile_attributes__returns_false_or_true_without_raising(
    attributes: Any,
) -> None:
    # Given conditions that use every kind of comparison
    conditions: list[dict[str, Any]] = [
        {"context.x": "x"},
        {"context.x": 5},
        {"context.x": True},
        {"context.x": ["x"]},
        {"context.x": {"$gt": 1, "$lte": "a"}},
        {"context.x": {"$in": ["x", 1]}},
        {"context.x": {"$regex": "x"}},
        {"context.x": {"$vgt": "1.0.0"}},
        {"context.x": {"$elemMatch": {"$eq": "x"}}},
        {"context.x": {"$all": ["x"]}},
        {"context.x": {"$type": "array"}},
    ]
    # When they are evaluated
    results = [compile_condition(c)(attributes) for c in conditions]
    # Then every result is a plain boolean
    assert all(isinstance(r, bool) for r in results)


def test_compiled_condition__reused__gives_the_same_results() -> None:
    # Given one compiled condition
    check = compile_condition({"context.device": {"$in": ["mobile"]}, "prefs.vip": True})
    visitors = [
        {"context": {"device": "mobile"}, "prefs": {"vip": True}},
        {"context": {"device": "desktop"}, "prefs": {"vip": True}},
    ]
    # When it is evaluated many times
    results = [check(v) for _ in range(3) for v in visitors]
    # Then results don't drift
    assert results == [True, False] * 3


# --- Where GrowthBook's JavaScript SDK and growthbook 4.0.0 (Python) disagree -------------------
# Each test below follows JavaScript. test_engine_differential.py pins what growthbook 4.0.0 says.


def test_js_semantics__ordering_between_number_and_numeric_text__compares_numbers() -> None:
    """JS: 8 > "5" and "8" > 5 (shared cases.json "comparing numbers and strings").

    growthbook 4.0.0 only orders two numbers or two strings and returns False.
    """
    # Given orderings mixing numbers and numeric text
    number_operand = {"n": {"$gt": 5, "$lt": 10}}
    text_operand = {"n": {"$gt": "5", "$lt": "10"}}
    # When the attribute is the other type
    results = [
        evaluate_condition(number_operand, {"n": "8"}),
        evaluate_condition(text_operand, {"n": 8}),
    ]
    # Then both compare numerically
    assert results == [True, True]


def test_js_semantics__ordering_on_missing_attribute__reads_null_as_zero() -> None:
    """JS: null < 5 is true and null >= 5 is false (shared case "missing attribute with
    comparison operators"). growthbook 4.0.0 returns False for every ordering on null."""
    # Given orderings around zero
    conditions = [{"x": {op: 5}} for op in ("$lt", "$lte", "$gt", "$gte")]
    # When the attribute is missing
    results = [evaluate_condition(c, {}) for c in conditions]
    # Then null orders like 0
    assert results == [True, True, False, False]


def test_js_semantics__ordering_with_booleans_and_arrays__coerces_to_primitives() -> None:
    """JS: true > 0, [5] < 10 ("5"), and ["b"] > "a". growthbook 4.0.0 returns False."""
    # Given orderings against a number and a string
    # When the attributes are a boolean and arrays
    results = [
        evaluate_condition({"x": {"$gt": 0}}, {"x": True}),
        evaluate_condition({"x": {"$lt": 10}}, {"x": [5]}),
        evaluate_condition({"x": {"$gt": "a"}}, {"x": ["b"]}),
    ]
    # Then they compare through JavaScript's primitive conversion
    assert results == [True, True, True]


def test_js_semantics__string_literal_against_non_string__compares_string_form() -> None:
    """JS evaluates a string literal as `value + "" === literal`.

    So 5 equals "5", true equals "true", a missing attribute equals "null" and ["a", "b"] equals
    "a,b". growthbook 4.0.0 requires both sides to be strings.
    """
    # Given string literals
    # When the attributes are other types with that string form
    results = [
        evaluate_condition({"x": "5"}, {"x": 5}),
        evaluate_condition({"x": "0.5"}, {"x": 0.5}),
        evaluate_condition({"x": "1e+21"}, {"x": 1e21}),
        evaluate_condition({"x": "true"}, {"x": True}),
        evaluate_condition({"x": "null"}, {}),
        evaluate_condition({"x": "a,b"}, {"x": ["a", "b"]}),
        evaluate_condition({"x": "[object Object]"}, {"x": {}}),
    ]
    # Then they match
    assert all(results)


def test_js_semantics__number_literal_against_non_number__compares_numeric_form() -> None:
    """JS evaluates a number literal as `value * 1 === literal`.

    So "5", " 5 ", "0x5", [5] and true (for 1) match, and a missing attribute equals 0.
    growthbook 4.0.0 requires both sides to be numbers.
    """
    # Given number literals
    # When the attributes convert to those numbers
    results = [
        evaluate_condition({"x": 5}, {"x": "5"}),
        evaluate_condition({"x": 5}, {"x": " 5 "}),
        evaluate_condition({"x": 5}, {"x": "0x5"}),
        evaluate_condition({"x": 5}, {"x": [5]}),
        evaluate_condition({"x": 1}, {"x": True}),
        evaluate_condition({"x": 0}, {}),
        evaluate_condition({"x": 0}, {"x": ""}),
    ]
    # Then they match, while non-numeric text does not
    assert all(results)
    assert evaluate_condition({"x": 5}, {"x": "5px"}) is False


def test_js_semantics__boolean_literal__compares_truthiness_except_null() -> None:
    """JS evaluates a boolean literal as `value !== null && !!value === literal`.

    growthbook 4.0.0 requires a boolean; both agree that a missing attribute never matches.
    """
    # Given boolean literals
    # When the attributes are truthy or falsy non-booleans, or missing
    results = [
        evaluate_condition({"x": True}, {"x": "yes"}),
        evaluate_condition({"x": True}, {"x": []}),
        evaluate_condition({"x": False}, {"x": 0}),
        evaluate_condition({"x": False}, {"x": ""}),
        evaluate_condition({"x": False}, {}),
    ]
    # Then truthiness decides, but null is neither true nor false
    assert results == [True, True, True, True, False]


def test_js_semantics__elem_match_over_falsy_elements__skips_them() -> None:
    """JS's elemMatch tests `actual[i] && check(actual[i])`, so 0, "" and false never match.

    growthbook 4.0.0 tests every element but null, so it finds 0 in [0].
    """
    # Given $elemMatch conditions looking for falsy values
    # When the arrays hold exactly those values
    results = [
        evaluate_condition({"x": {"$elemMatch": {"$eq": 0}}}, {"x": [0]}),
        evaluate_condition({"x": {"$elemMatch": {"$eq": ""}}}, {"x": [""]}),
        evaluate_condition({"x": {"$elemMatch": {"$eq": False}}}, {"x": [False]}),
    ]
    # Then nothing matches
    assert results == [False, False, False]


def test_js_semantics__regex_on_non_string__tests_its_string_form() -> None:
    """JS's RegExp.test(value) converts value with String(), so 25 matches /^2/ and a missing
    attribute is "null". growthbook 4.0.0 fails $regex (and passes $notRegex) for non-strings."""
    # Given regular expressions
    # When the attributes are a number, a missing value and an array
    results = [
        evaluate_condition({"x": {"$regex": "^2"}}, {"x": 25}),
        evaluate_condition({"x": {"$regex": "^null$"}}, {}),
        evaluate_condition({"x": {"$regexi": "^A,B$"}}, {"x": ["a", "b"]}),
        evaluate_condition({"x": {"$notRegex": "^2"}}, {"x": 25}),
    ]
    # Then the string forms are tested
    assert results == [True, True, True, False]


def test_js_semantics__regex_flavour__follows_javascript_regexp() -> None:
    """growthbook 4.0.0 compiles patterns with Python's re, whose flavour differs from JS.

    In JS \\d is ASCII only, $ matches only at the very end, and . excludes \\r and U+2028;
    Python's re matches "\u0663" with \\d, "a\\n" with a$, and "\\r" with ".".
    """
    # Given patterns whose meaning differs between the flavours
    # When tested against the telling inputs
    results = [
        evaluate_condition({"x": {"$regex": "^\\d$"}}, {"x": "\u0663"}),
        evaluate_condition({"x": {"$regex": "a$"}}, {"x": "a\n"}),
        evaluate_condition({"x": {"$regex": "^.$"}}, {"x": "\r"}),
        evaluate_condition({"x": {"$regex": "^\\w$"}}, {"x": "é"}),
    ]
    # Then none matches, as in JavaScript
    assert results == [False, False, False, False]


def test_js_semantics__exists_with_empty_list_operand__uses_javascript_truthiness() -> None:
    """JS: `expected ? actual != null : actual == null`, and [] is truthy.

    growthbook 4.0.0 uses Python truthiness, where [] is false. (validate_condition reports
    any non-boolean $exists operand.)
    """
    # Given $exists with an empty list operand
    condition: dict[str, Any] = {"x": {"$exists": []}}
    # When the attribute is present
    result = evaluate_condition(condition, {"x": 1})
    # Then it behaves like $exists: true
    assert result is True


def test_js_semantics__empty_object_literal__matches_only_an_empty_object() -> None:
    """JS's isOperatorObject({}) is false, so {} compares as JSON text with the value.

    growthbook 4.0.0 treats {} as an operator object with no operators, which matches anything.
    """
    # Given a condition comparing with {}
    condition: dict[str, Any] = {"x": {}}
    # When the attribute is 5, missing, or {}
    results = [
        evaluate_condition(condition, {"x": 5}),
        evaluate_condition(condition, {}),
        evaluate_condition(condition, {"x": {}}),
    ]
    # Then only {} matches
    assert results == [False, False, True]


def test_js_semantics__version_operators_on_non_strings__pad_like_javascript() -> None:
    """JS's paddedVersionString turns numbers into strings and anything else into "0".

    growthbook 4.0.0 fails version operators (and passes $vne) unless both sides are strings or
    both numbers, so a missing version is never "below 1.0.0" there.
    """
    # Given version comparisons
    # When the attribute is missing or a number
    results = [
        evaluate_condition({"v": {"$vlt": "1.0.0"}}, {}),
        evaluate_condition({"v": {"$veq": "0"}}, {}),
        evaluate_condition({"v": {"$vgt": "1.9.9"}}, {"v": 2}),
        evaluate_condition({"v": {"$vne": "0"}}, {"v": None}),
    ]
    # Then they compare as JavaScript pads them
    assert results == [True, True, True, False]


def test_js_semantics__elem_match_with_only_logical_keys__is_an_operator_object() -> None:
    """JS's isOperatorObject({"$or": ...}) is true, so $or is an unknown value operator there.

    growthbook 4.0.0 evaluates it as a condition on each element. We follow JS, and an unknown
    operator makes the whole condition malformed (validate_condition reports it).
    """
    # Given an $elemMatch holding only $or
    condition = {"items": {"$elemMatch": {"$or": [{"sku": "a"}]}}}
    # When an element would satisfy the $or
    result = evaluate_condition(condition, {"items": [{"sku": "a"}]})
    # Then nothing matches
    assert result is False


def test_js_semantics__type_and_exists_of_numbers_and_null__agree_with_python_sdk() -> None:
    """We looked for differences in $type of ints/floats and $exists on null and found none:
    both SDKs call every int and float "number", read a missing attribute as null, and treat
    null as absent for $exists."""
    # Given $type and $exists conditions
    # When the attributes are an int, a float, null and missing
    results = [
        evaluate_condition({"x": {"$type": "number"}}, {"x": 1}),
        evaluate_condition({"x": {"$type": "number"}}, {"x": 1.5}),
        evaluate_condition({"x": {"$exists": True}}, {"x": None}),
        evaluate_condition({"x": {"$type": "null"}}, {}),
    ]
    # Then they behave the same in both SDKs
    assert results == [True, True, False, True]


# --- validate_condition -------------------------------------------------------------------------


def test_validate_condition__valid_conditions__reports_nothing() -> None:
    # Given conditions using every operator correctly
    conditions: list[dict[str, Any]] = [
        {},
        {"context.device": "mobile"},
        {"context.device": {"$in": ["mobile", "tablet"]}, "prefs.newsletter": True},
        {
            "$or": [
                {"signals.product_view.category.shoes.30m": {"$gte": 3, "$lt": 100}},
                {"prefs.interests": {"$elemMatch": {"$eq": "shoes"}}},
            ],
            "$nor": [{"context.country": {"$ini": ["de", "at"]}}],
            "$not": {"context.bot": True},
        },
        {
            "context.app_version": {"$vgte": "2.1.0", "$vne": "2.3.0"},
            "context.ua": {"$regex": "(?<os>iPhone|Android)", "$notRegexi": "bot"},
            "prefs.tags": {"$all": ["a", {"$regex": "^b"}], "$size": {"$gt": 1}},
            "prefs.name": {"$exists": True, "$type": "string", "$not": {"$eq": ""}},
            "signals.cart": {"$elemMatch": {"sku": {"$regex": "^SH"}, "qty": {"$gte": 1}}},
            "signals.count": {"$size": 0, "$ne": None, "$nin": [1, 2]},
        },
    ]
    # When validated
    problems = [validate_condition(c) for c in conditions]
    # Then there is nothing to report
    assert problems == [[], [], [], [], []]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (["context.x"], "the condition must be a JSON object"),
        ({"device": "mobile"}, 'attribute "device" must start with context., prefs. or signals.'),
        ({"contexts.x": 1}, 'attribute "contexts.x" must start with context., prefs. or signals.'),
        ({"context": 1}, 'attribute "context" must start with context., prefs. or signals.'),
        ({"context.": 1}, 'attribute "context." has an empty part between its dots.'),
        ({"context.x": {"$regx": "a"}}, 'unknown operator "$regx" at context.x.'),
        ({"$nand": []}, 'unknown operator "$nand" at the top level.'),
        (
            {"$and": [{"context.x": {"$not": {"$bad": 1}}}]},
            'unknown operator "$bad" at $and item 1 > context.x > $not.',
        ),
        (
            {"context.id": {"$inGroup": "vip"}},
            'unknown operator "$inGroup" at context.id (saved groups are not supported).',
        ),
        ({"context.x": {"$in": "mobile"}}, '"$in" at context.x needs a list of values, not text.'),
        ({"context.x": {"$nini": 1}}, '"$nini" at context.x needs a list of values, not a number.'),
        (
            {"context.x": {"$in": [["a"]]}},
            '"$in" at context.x: item 1 is a list, which never matches',
        ),
        (
            {"prefs.x": {"$all": {"a": 1}}},
            '"$all" at prefs.x needs a list of values, not an object.',
        ),
        ({"$and": {"context.x": 1}}, '"$and" at the top level needs a list of conditions'),
        ({"$or": [1]}, '"$or" item 1 at the top level must be a condition object, not a number.'),
        ({"$not": "x"}, '"$not" at the top level needs a condition object, not text.'),
        ({"context.x": {"$not": "mobile"}}, '"$not" at context.x needs operators to negate'),
        ({"prefs.x": {"$elemMatch": []}}, '"$elemMatch" at prefs.x needs an object'),
        ({"prefs.x": {"$elemMatch": {}}}, "not an empty object."),
        ({"prefs.x": {"$size": "3"}}, '"$size" at prefs.x needs a whole number'),
        ({"prefs.x": {"$size": 2.5}}, "not 2.5."),
        ({"prefs.x": {"$size": -1}}, "not -1."),
        ({"prefs.x": {"$size": 10**400}}, "not Infinity."),
        ({"prefs.x": {"$size": math.nan}}, "not NaN."),
        ({"prefs.x": {"$exists": "yes"}}, '"$exists" at prefs.x must be true or false, not text.'),
        ({"prefs.x": {"$type": "int"}}, 'must be one of "string", "number", "boolean", "array",'),
        ({"prefs.x": {"$regex": 5}}, '"$regex" at prefs.x needs a regular expression as text'),
        (
            {"prefs.x": {"$regex": "(a"}},
            '"$regex" at prefs.x is not a valid regular expression: missing ), unterminated',
        ),
        ({"prefs.x": {"$vgt": 1}}, '"$vgt" at prefs.x needs a version as text such as "1.2.3"'),
        ({"prefs.x": {"$gt": [1]}}, '"$gt" at prefs.x needs a number or text, not a list.'),
        ({"prefs.x": {"$eq": [1]}}, '"$eq" at prefs.x compares single values'),
        ({"prefs.x": {"$or": [{"a": 1}]}}, '"$or" at prefs.x combines whole conditions'),
        ({"prefs.x": {"$gt": 1, "y": 2}}, "mixes operators with plain fields"),
        ({"prefs.x": (1,)}, "the value at prefs.x is not a JSON value."),
        ({1: "x"}, "every key must be text"),
    ],
)
def test_validate_condition__problem__is_explained(condition: Any, message: str) -> None:
    # Given a condition with one problem
    # When validated
    problems = validate_condition(condition)
    # Then exactly one problem is reported, and it says what is wrong and where
    assert len(problems) == 1
    assert message in problems[0]


def test_validate_condition__elem_match_fields__are_relative_paths() -> None:
    # Given an $elemMatch with field paths that have no namespace
    condition = {"signals.cart": {"$elemMatch": {"sku": "a", "price.amount": {"$gt": 5}}}}
    # When validated
    problems = validate_condition(condition)
    # Then relative paths are accepted
    assert problems == []


def test_validate_condition__several_problems__reports_each() -> None:
    # Given a condition with three problems
    condition = {"device": 1, "context.x": {"$in": 1}, "$or": [{"prefs.y": {"$type": 1}}]}
    # When validated
    problems = validate_condition(condition)
    # Then all three are reported
    assert len(problems) == 3


def test_validate_condition__too_deep__reports_depth_once() -> None:
    # Given a condition nested deeper than allowed
    condition = _nested_not(MAX_DEPTH + 1)
    # When validated
    problems = validate_condition(condition)
    # Then the depth is the problem
    assert problems == [f"the condition is nested more than {MAX_DEPTH} levels deep."]


def test_validate_condition__every_problem__evaluates_safely() -> None:
    # Given a condition that validation rejects for an operand of the wrong kind
    condition = {"context.x": {"$in": "abc", "$size": "x", "$type": 5}}
    # When it is evaluated anyway
    result = evaluate_condition(condition, {"context": {"x": "abc"}})
    # Then it simply doesn't match
    assert result is False


# --- condition_paths ----------------------------------------------------------------------------


def test_condition_paths__nested_logic__collects_every_path() -> None:
    # Given a condition reading paths at several levels
    condition = {
        "context.device": "mobile",
        "$and": [{"prefs.a": 1}, {"$or": [{"signals.b.c": {"$gt": 1}}, {"prefs.d": 2}]}],
        "$nor": [{"context.e": 1}],
        "$not": {"signals.f": {"$not": {"$eq": 1}}},
    }
    # When its paths are collected
    paths = condition_paths(condition)
    # Then all of them are found
    assert paths == {
        "context.device",
        "prefs.a",
        "signals.b.c",
        "prefs.d",
        "context.e",
        "signals.f",
    }


def test_condition_paths__elem_match__reports_only_the_array_path() -> None:
    # Given an $elemMatch with relative field paths, nested in another $elemMatch
    condition = {
        "signals.orders": {"$elemMatch": {"sku": "a", "lines": {"$elemMatch": {"qty": {"$gt": 1}}}}}
    }
    # When its paths are collected
    paths = condition_paths(condition)
    # Then element fields are not top-level paths
    assert paths == {"signals.orders"}


def test_condition_paths__empty_or_malformed__never_raises() -> None:
    # Given empty, malformed and too-deep conditions
    conditions: list[Any] = [{}, {"$and": 5}, {"$not": [1]}, _nested_not(MAX_DEPTH + 1), None]
    # When their paths are collected
    paths = [condition_paths(c) for c in conditions]
    # Then nothing is found and nothing raises
    assert paths == [frozenset()] * 5


def test_condition_paths__result__is_a_frozenset() -> None:
    # Given a condition
    condition = {"context.device": "mobile"}
    # When its paths are collected
    paths = condition_paths(condition)
    # Then the result is immutable
    assert isinstance(paths, frozenset)
