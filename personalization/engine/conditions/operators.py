"""Compile the tests of a single value: literals, $eq, orderings, $in, $type, regexes, versions."""

import operator
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, Final

from .predicates import Predicate, always, is_null, negation, never
from .regex import RegexSyntaxError, RegexUnsupportedError, compile_js_regex
from .values import (
    JS_LINE_TERMINATORS,
    SAFE_INTEGER,
    number_to_string,
    number_value,
    to_number,
    to_primitive,
    to_string,
    truthy,
    type_name,
    utf16_greater,
    utf16_greater_or_equal,
    utf16_less,
    utf16_less_or_equal,
)

_VERSION_SEPARATOR: Final = re.compile(r"[-.]")


def literal_string(expected: str, *, insensitive: bool) -> Predicate:
    # JavaScript compares `value + ""` with the string, so 5 equals "5" and null equals "null".
    if insensitive:
        folded = expected.lower()
        return lambda value: (value if type(value) is str else to_string(value)).lower() == folded
    return lambda value: (value if type(value) is str else to_string(value)) == expected


def literal_number(expected: float) -> Predicate:
    # JavaScript compares `value * 1` with the number, so "5" equals 5 and null equals 0.
    def check(value: Any) -> bool:
        cls = type(value)
        if cls is float or (cls is int and -SAFE_INTEGER <= value <= SAFE_INTEGER):
            number: float = value
            return number == expected
        return to_number(value) == expected

    return check


def literal_boolean(expected: bool) -> Predicate:
    # JavaScript compares truthiness, except that null (a missing attribute) never matches.
    opposite = not expected

    def check(value: Any) -> bool:
        if value is expected:
            return True
        if value is None or value is opposite:
            return False
        return truthy(value) is expected

    return check


def strict_equal(expected: Any) -> Predicate:
    """JavaScript's ===: same type and value; arrays and objects are never identical."""
    if expected is None:
        return is_null
    if isinstance(expected, bool):
        return (lambda value: value is True) if expected else (lambda value: value is False)
    if isinstance(expected, str):
        return lambda value: isinstance(value, str) and value == expected
    number = number_value(expected)
    if number is not None:

        def check_number(value: Any) -> bool:
            cls = type(value)
            if cls is float or (cls is int and -SAFE_INTEGER <= value <= SAFE_INTEGER):
                exact: float = value
                return exact == number
            return number_value(value) == number

        return check_number
    return never


# Per operator: how to order numbers, ASCII text and any other text.
ORDERINGS: Final[
    Mapping[
        str,
        tuple[
            Callable[[float, float], bool], Callable[[str, str], bool], Callable[[str, str], bool]
        ],
    ]
] = {
    "$lt": (operator.lt, operator.lt, utf16_less),
    "$lte": (operator.le, operator.le, utf16_less_or_equal),
    "$gt": (operator.gt, operator.gt, utf16_greater),
    "$gte": (operator.ge, operator.ge, utf16_greater_or_equal),
}


def compile_ordering(op: str, expected: Any) -> Predicate:
    """JavaScript's <, <=, > and >=: two strings compare as text, anything else as numbers."""
    number_order, ascii_order, unicode_order = ORDERINGS[op]
    expected = to_primitive(expected)
    expected_number = to_number(expected)
    if not isinstance(expected, str):

        def check_number(value: Any) -> bool:
            cls = type(value)
            if cls is float or (cls is int and -SAFE_INTEGER <= value <= SAFE_INTEGER):
                return number_order(value, expected_number)
            return number_order(to_number(to_primitive(value)), expected_number)

        return check_number
    expected_text: str = expected
    # Code point order equals UTF-16 order whenever one side is ASCII.
    text_order = ascii_order if expected_text.isascii() else unicode_order

    def check_text(value: Any) -> bool:
        primitive = value if type(value) is str else to_primitive(value)
        if isinstance(primitive, str):
            return text_order(primitive, expected_text)
        return number_order(to_number(primitive), expected_number)

    return check_text


def _membership(values: list[Any], *, insensitive: bool) -> Predicate:
    """Whether a value, or any element of an array value, is among values.

    $in uses Array.prototype.includes (SameValueZero: NaN finds NaN); $ini compares lower-cased
    strings with ===. Arrays and objects are compared by reference in JavaScript, so never match.
    """
    strings: set[str] = set()
    numbers: set[float] = set()
    has_nan = has_true = has_false = has_null = False
    for item in values:
        if isinstance(item, str):
            strings.add(item.lower() if insensitive else item)
        elif item is None:
            has_null = True
        elif item is True:
            has_true = True
        elif item is False:
            has_false = True
        elif (number := number_value(item)) is not None:
            if number == number:
                numbers.add(number)
            else:
                has_nan = not insensitive
    frozen_strings = frozenset(strings)
    frozen_numbers = frozenset(numbers)

    def contains(value: Any) -> bool:
        if type(value) is str:
            return (value.lower() if insensitive else value) in frozen_strings
        if value is None:
            return has_null
        if value is True:
            return has_true
        if value is False:
            return has_false
        if isinstance(value, str):
            return (value.lower() if insensitive else value) in frozen_strings
        number = number_value(value)
        if number is None:
            return False
        return number in frozen_numbers if number == number else has_nan

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return contains(value)
        for item in value:
            if contains(item):
                break
        else:
            return False
        return True

    return check


def compile_in(operand: Any, *, insensitive: bool, negate: bool) -> Predicate:
    # A non-list operand fails both $in and $nin, as in GrowthBook.
    if not isinstance(operand, list):
        return never
    check = _membership(operand, insensitive=insensitive)
    return negation(check) if negate else check


def compile_type(operand: Any) -> Predicate:
    return lambda value: type_name(value) == operand


def compile_regex(operand: Any, *, ignore_case: bool, negate: bool) -> Predicate:
    # A pattern JavaScript rejects never matches, so its negation always does (as in GrowthBook).
    # One JavaScript accepts but RE2 cannot run (refused at save; an old revision may hold it)
    # has no known answer, so neither it nor its negation matches and the rule is skipped.
    try:
        test = compile_js_regex(operand, ignore_case) if isinstance(operand, str) else None
    except RegexUnsupportedError:
        return never
    except RegexSyntaxError:
        test = None
    if test is None:
        return always if negate else never

    # RegExp.prototype.test converts its argument to a string, so 25 matches /^2/.
    if negate:
        return lambda value: not test(value if type(value) is str else to_string(value))
    return lambda value: test(value if type(value) is str else to_string(value))


@lru_cache(maxsize=4096)
def _pad_version_text(text: str) -> str:
    # Drop a leading "v" and build metadata (the JavaScript regex /(^v|\+.*$)/g, where "." stops
    # at line terminators), then pad numeric parts so that text order is version order.
    start = 1 if text.startswith("v") else 0
    last_line = max(text.rfind(char) for char in JS_LINE_TERMINATORS) + 1
    plus = text.find("+", max(start, last_line))
    parts = _VERSION_SEPARATOR.split(text[start : plus if plus >= 0 else len(text)])
    # A release without a pre-release tag sorts after its pre-releases ("~" is the largest ASCII).
    if len(parts) == 3:
        parts.append("~")
    return "-".join(part.rjust(5) if part.isascii() and part.isdigit() else part for part in parts)


def _padded_version(value: Any) -> str:
    """GrowthBook's paddedVersionString: numbers are stringified, non-strings read as "0"."""
    if not isinstance(value, str):
        number = number_value(value)
        value = number_to_string(number) if number is not None else ""
    return _pad_version_text(value or "0")


VERSION_ORDERINGS: Final[Mapping[str, Callable[[str, str], bool]]] = {
    "$veq": operator.eq,
    "$vne": operator.ne,
    "$vlt": utf16_less,
    "$vlte": utf16_less_or_equal,
    "$vgt": utf16_greater,
    "$vgte": utf16_greater_or_equal,
}


def compile_version(op: str, operand: Any) -> Predicate:
    order = VERSION_ORDERINGS[op]
    expected = _padded_version(operand)
    return lambda value: order(_padded_version(value), expected)
