"""GrowthBook-compatible targeting conditions: compile, evaluate, validate and inspect them."""

import math
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any, Final

__all__ = [
    "MAX_DEPTH",
    "NAMESPACES",
    "compile_condition",
    "condition_paths",
    "evaluate_condition",
    "validate_condition",
]

#: Conditions nested deeper than this many objects and lists never match and fail validation.
MAX_DEPTH: Final = 64
#: Every top-level attribute path starts with one of these.
NAMESPACES: Final = ("context.", "prefs.", "signals.")

Predicate = Callable[[Any], bool]

_LOGICAL: Final = frozenset({"$and", "$or", "$nor", "$not"})
_SAVED_GROUP_OPERATORS: Final = frozenset(
    {"$inGroup", "$notInGroup", "$savedGroup", "$savedGroups"}
)
_TYPE_NAMES: Final = ("string", "number", "boolean", "array", "object", "null")
# Integers up to 2**53 are exact doubles, so only larger ones need converting like JavaScript.
_SAFE_INTEGER: Final = 2**53
_JS_LINE_TERMINATORS: Final = "\n\r\u2028\u2029"
_JS_WHITESPACE: Final = (
    "\t\v\f \u00a0\ufeff\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u202f\u205f\u3000" + _JS_LINE_TERMINATORS
)
_DECIMAL_LITERAL: Final = re.compile(
    r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)
_RADIX_LITERAL: Final = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")
_RADIXES: Final = {"x": 16, "o": 8, "b": 2}
_VERSION_SEPARATOR: Final = re.compile(r"[-.]")
_ARRAY_INDEX_LIMIT: Final = 2**32 - 1


class _InvalidConditionError(Exception):
    """The condition cannot be evaluated, so it matches nothing."""


class _RegexSyntaxError(ValueError):
    """A pattern that JavaScript's RegExp would reject."""


# --- JavaScript values ------------------------------------------------------------------------
# Attributes and conditions are JSON. GrowthBook's reference SDK is JavaScript, whose operators
# coerce between types, so these helpers reproduce the coercions its evaluator relies on.


def _int_to_double(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        # JavaScript has no integers beyond the double range: JSON reads them as +-Infinity.
        return math.inf if value > 0 else -math.inf


def _number_value(value: Any) -> float | None:
    """The double a JavaScript number would hold, or None when value is not a number."""
    cls = type(value)
    if cls is float:
        exact: float = value
        return exact
    if cls is int:
        if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
            safe: int = value
            return safe
        return _int_to_double(value)
    if cls is bool or not isinstance(value, int | float):
        return None
    return _int_to_double(value) if isinstance(value, int) else float(value)


def _number_to_string(number: float) -> str:
    """JavaScript's Number.prototype.toString()."""
    if number != number:
        return "NaN"
    if number == 0:
        return "0"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number < 0:
        return "-" + _number_to_string(-number)
    # repr() gives the shortest round-tripping digits, the same digits JavaScript picks.
    mantissa, _, exponent = repr(float(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    significant = all_digits.lstrip("0")
    point = len(whole) + int(exponent or "0") - (len(all_digits) - len(significant))
    digits = significant.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    power = point - 1
    head = digits[0] + ("." + digits[1:] if count > 1 else "")
    return f"{head}e{'+' if power >= 0 else '-'}{abs(power)}"


def _to_string(value: Any) -> str:
    """JavaScript's String(value), which is also what `value + ""` produces."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    number = _number_value(value)
    if number is not None:
        return _number_to_string(number)
    if isinstance(value, list):
        # Array.prototype.join writes null elements as empty strings.
        return ",".join("" if item is None else _to_string(item) for item in value)
    return "[object Object]"


def _to_primitive(value: Any) -> Any:
    """JavaScript's ToPrimitive: arrays and objects become strings, everything else stays."""
    if isinstance(value, list):
        return _to_string(value)
    if isinstance(value, dict):
        return "[object Object]"
    return value


def _string_to_number(text: str) -> float:
    """JavaScript's Number(text)."""
    text = text.strip(_JS_WHITESPACE)
    if not text:
        return 0.0
    if _DECIMAL_LITERAL.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    radix = _RADIX_LITERAL.fullmatch(text)
    if radix is None:
        return math.nan
    try:
        return _int_to_double(int(radix[2], _RADIXES[radix[1].lower()]))
    except ValueError:
        # Digits beyond the radix, such as "0o9" or "0b2".
        return math.nan


def _to_number(value: Any) -> float:
    """JavaScript's Number(value)."""
    number = _number_value(value)
    if number is not None:
        return number
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, str):
        return _string_to_number(value)
    if isinstance(value, list):
        return _string_to_number(_to_string(value))
    return math.nan


def _truthy(value: Any) -> bool:
    """JavaScript truthiness, where empty lists and objects are true."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str):
        return value != ""
    number = _number_value(value)
    if number is not None:
        return number == number and number != 0
    return True


def _type_name(value: Any) -> str:
    """GrowthBook's getType: the JSON type of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if _number_value(value) is not None:
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def _utf16_less(left: str, right: str) -> bool:
    """JavaScript's string order, which compares UTF-16 code units rather than code points."""
    # The orders only differ between two non-ASCII strings (astral vs. U+E000..U+FFFF).
    if left.isascii() or right.isascii():
        return left < right
    return left.encode("utf-16-be", "surrogatepass") < right.encode("utf-16-be", "surrogatepass")


def _is_array_index(key: str) -> bool:
    return (
        len(key) <= 10
        and key.isascii()
        and key.isdigit()
        and (key == "0" or key[0] != "0")
        and int(key) < _ARRAY_INDEX_LIMIT
    )


def _property_order(obj: Mapping[Any, Any]) -> list[Any]:
    """Keys in JavaScript property order: array indices ascending, then insertion order."""
    keys = list(obj)
    indices = [key for key in keys if isinstance(key, str) and _is_array_index(key)]
    if not indices:
        return keys
    others = [key for key in keys if not (isinstance(key, str) and _is_array_index(key))]
    return sorted(indices, key=int) + others


def _json_scalar(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, None)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, str):
        return (3, value)
    number = _number_value(value)
    if number is not None:
        # JSON.stringify writes NaN and +-Infinity as null.
        return (2, number) if math.isfinite(number) else (0, None)
    # Values JSON cannot represent are never equal to anything.
    return (4, object())


def _json_equal(expected: Any, value: Any) -> bool:
    """Whether JSON.stringify would write both values identically.

    Recursion follows expected, a condition literal, whose depth is bounded by MAX_DEPTH.
    """
    if isinstance(expected, list):
        return (
            isinstance(value, list)
            and len(expected) == len(value)
            and all(_json_equal(e, v) for e, v in zip(expected, value, strict=True))
        )
    if isinstance(expected, dict):
        if not isinstance(value, dict):
            return False
        keys = _property_order(expected)
        return keys == _property_order(value) and all(
            _json_equal(expected[k], value[k]) for k in keys
        )
    if isinstance(value, list | dict):
        return False
    return _json_scalar(expected) == _json_scalar(value)


def _too_deep(value: Any) -> bool:
    """Whether objects and lists nest deeper than MAX_DEPTH (or cycle), found without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if level > MAX_DEPTH:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


# --- Attribute paths --------------------------------------------------------------------------


def _read_path(value: Any, segments: tuple[str, ...]) -> Any:
    """GrowthBook's getPath: the value at a dotted path, or None when any step is missing."""
    for segment in segments:
        if type(value) is dict:
            value = value.get(segment)
        elif isinstance(value, list):
            # Like JavaScript's `in`, arrays expose their length and their canonical indices.
            if segment == "length":
                value = len(value)
            elif _is_array_index(segment) and int(segment) < len(value):
                value = value[int(segment)]
            else:
                return None
        elif isinstance(value, Mapping):
            value = value.get(segment)
        else:
            return None
    return value


def _path_test(path: str, test: Predicate) -> Predicate:
    """Apply test to the value at path, with a fast route through plain dicts."""
    segments = tuple(path.split("."))
    if len(segments) == 1:
        (key,) = segments

        def check_one(attributes: Any) -> bool:
            if type(attributes) is dict:
                return test(attributes.get(key))
            return test(_read_path(attributes, segments))

        return check_one
    if len(segments) == 2:
        first, second = segments

        def check_two(attributes: Any) -> bool:
            if type(attributes) is dict:
                parent = attributes.get(first)
                if type(parent) is dict:
                    return test(parent.get(second))
                if parent is None:
                    return test(None)
            return test(_read_path(attributes, segments))

        return check_two

    def check_many(attributes: Any) -> bool:
        value = attributes
        for segment in segments:
            if type(value) is dict:
                value = value.get(segment)
            elif value is None:
                return test(None)
            else:
                return test(_read_path(attributes, segments))
        return test(value)

    return check_many


# --- Combinators ------------------------------------------------------------------------------


def _always(_value: Any) -> bool:
    return True


def _never(_value: Any) -> bool:
    return False


def _is_null(value: Any) -> bool:
    return value is None


def _is_not_null(value: Any) -> bool:
    return value is not None


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda value: first(value) and second(value)


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda value: first(value) or second(value)


def _all_of(tests: list[Predicate]) -> Predicate:
    # Nested pairs measure as fast as a loop and much faster than all() over a generator.
    if not tests:
        return _always
    combined = tests[-1]
    for test in reversed(tests[:-1]):
        combined = _both(test, combined)
    return combined


def _any_of(tests: list[Predicate]) -> Predicate:
    # GrowthBook treats an empty $or as a match.
    if not tests:
        return _always
    combined = tests[-1]
    for test in reversed(tests[:-1]):
        combined = _either(test, combined)
    return combined


def _negate(test: Predicate) -> Predicate:
    return lambda value: not test(value)


# --- Compiling conditions ---------------------------------------------------------------------


def _is_operator_object(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(key, str) and key.startswith("$") for key in value)
    )


def _compile_condition(condition: Any) -> Predicate:
    """Compile a condition (attribute paths and $and/$or/$nor/$not) into a test of an object."""
    if not isinstance(condition, dict):
        raise _InvalidConditionError
    tests: list[Predicate] = []
    for key, value in condition.items():
        if not isinstance(key, str):
            raise _InvalidConditionError
        if key == "$and":
            tests.append(_all_of(_compile_condition_list(value)))
        elif key == "$or":
            tests.append(_any_of(_compile_condition_list(value)))
        elif key == "$nor":
            tests.append(_negate(_any_of(_compile_condition_list(value))))
        elif key == "$not":
            tests.append(_negate(_compile_condition(value)))
        else:
            # GrowthBook reads any other key, even one starting with "$", as an attribute path.
            tests.append(_path_test(key, _compile_value(value)))
    return _all_of(tests)


def _compile_condition_list(value: Any) -> list[Predicate]:
    if not isinstance(value, list):
        raise _InvalidConditionError
    return [_compile_condition(item) for item in value]


def _compile_value(expected: Any, *, insensitive: bool = False) -> Predicate:
    """Compile what a path is compared with: a literal or an object of operators."""
    if isinstance(expected, str):
        return _literal_string(expected, insensitive=insensitive)
    if isinstance(expected, bool):
        return _literal_boolean(expected)
    if expected is None:
        return _is_null
    number = _number_value(expected)
    if number is not None:
        return _literal_number(number)
    if _is_operator_object(expected):
        return _all_of([_compile_operator(op, operand) for op, operand in expected.items()])
    if isinstance(expected, list | dict):
        # Arrays and objects without operators (including {}) compare as JSON text.
        return lambda value: _json_equal(expected, value)
    raise _InvalidConditionError


def _literal_string(expected: str, *, insensitive: bool) -> Predicate:
    # JavaScript compares `value + ""` with the string, so 5 equals "5" and null equals "null".
    if insensitive:
        folded = expected.lower()
        return lambda value: (value if type(value) is str else _to_string(value)).lower() == folded
    return lambda value: (value if type(value) is str else _to_string(value)) == expected


def _literal_number(expected: float) -> Predicate:
    # JavaScript compares `value * 1` with the number, so "5" equals 5 and null equals 0.
    def check(value: Any) -> bool:
        cls = type(value)
        if cls is float or (cls is int and -_SAFE_INTEGER <= value <= _SAFE_INTEGER):
            number: float = value
            return number == expected
        return _to_number(value) == expected

    return check


def _literal_boolean(expected: bool) -> Predicate:
    # JavaScript compares truthiness, except that null (a missing attribute) never matches.
    opposite = not expected

    def check(value: Any) -> bool:
        if value is expected:
            return True
        if value is None or value is opposite:
            return False
        return _truthy(value) is expected

    return check


def _strict_equal(expected: Any) -> Predicate:
    """JavaScript's ===: same type and value; arrays and objects are never identical."""
    if expected is None:
        return _is_null
    if isinstance(expected, bool):
        return (lambda value: value is True) if expected else (lambda value: value is False)
    if isinstance(expected, str):
        return lambda value: isinstance(value, str) and value == expected
    number = _number_value(expected)
    if number is not None:

        def check_number(value: Any) -> bool:
            cls = type(value)
            if cls is float or (cls is int and -_SAFE_INTEGER <= value <= _SAFE_INTEGER):
                exact: float = value
                return exact == number
            return _number_value(value) == number

        return check_number
    return _never


def _utf16_less_or_equal(left: str, right: str) -> bool:
    return not _utf16_less(right, left)


def _utf16_greater(left: str, right: str) -> bool:
    return _utf16_less(right, left)


def _utf16_greater_or_equal(left: str, right: str) -> bool:
    return not _utf16_less(left, right)


# Per operator: how to order numbers, ASCII text and any other text.
_ORDERINGS: Final[
    Mapping[
        str,
        tuple[
            Callable[[float, float], bool], Callable[[str, str], bool], Callable[[str, str], bool]
        ],
    ]
] = {
    "$lt": (operator.lt, operator.lt, _utf16_less),
    "$lte": (operator.le, operator.le, _utf16_less_or_equal),
    "$gt": (operator.gt, operator.gt, _utf16_greater),
    "$gte": (operator.ge, operator.ge, _utf16_greater_or_equal),
}


def _compile_ordering(op: str, expected: Any) -> Predicate:
    """JavaScript's <, <=, > and >=: two strings compare as text, anything else as numbers."""
    number_order, ascii_order, unicode_order = _ORDERINGS[op]
    expected = _to_primitive(expected)
    expected_number = _to_number(expected)
    if not isinstance(expected, str):

        def check_number(value: Any) -> bool:
            cls = type(value)
            if cls is float or (cls is int and -_SAFE_INTEGER <= value <= _SAFE_INTEGER):
                return number_order(value, expected_number)
            return number_order(_to_number(_to_primitive(value)), expected_number)

        return check_number
    expected_text: str = expected
    # Code point order equals UTF-16 order whenever one side is ASCII.
    text_order = ascii_order if expected_text.isascii() else unicode_order

    def check_text(value: Any) -> bool:
        primitive = value if type(value) is str else _to_primitive(value)
        if isinstance(primitive, str):
            return text_order(primitive, expected_text)
        return number_order(_to_number(primitive), expected_number)

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
        elif (number := _number_value(item)) is not None:
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
        number = _number_value(value)
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


def _compile_in(operand: Any, *, insensitive: bool, negate: bool) -> Predicate:
    # A non-list operand fails both $in and $nin, as in GrowthBook.
    if not isinstance(operand, list):
        return _never
    check = _membership(operand, insensitive=insensitive)
    return _negate(check) if negate else check


def _compile_all(operand: Any, *, insensitive: bool) -> Predicate:
    if not isinstance(operand, list):
        return _never
    wanted = tuple(_compile_value(item, insensitive=insensitive) for item in operand)

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return False
        for test in wanted:
            for item in value:
                if test(item):
                    break
            else:
                return False
        return True

    return check


def _compile_elem_match(operand: Any) -> Predicate:
    if not isinstance(operand, dict):
        raise _InvalidConditionError
    # Operators test each element itself; anything else is a condition on each element's fields.
    test = _compile_value(operand) if _is_operator_object(operand) else _compile_condition(operand)

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return False
        # GrowthBook's JavaScript SDK skips falsy elements (0, "", false, null) entirely.
        for item in value:
            if _truthy(item) and test(item):
                break
        else:
            return False
        return True

    return check


def _compile_size(operand: Any) -> Predicate:
    test = _compile_value(operand)
    return lambda value: isinstance(value, list) and test(len(value))


def _compile_type(operand: Any) -> Predicate:
    return lambda value: _type_name(value) == operand


# --- Regular expressions ----------------------------------------------------------------------
# GrowthBook patterns are JavaScript RegExp source (no flags but "i"). Python's re differs in
# details that change results, so patterns are translated: \d \w \s \b keep JavaScript's
# character sets, "." excludes every line terminator, "$" only matches at the very end, named
# groups use (?<name>...), and syntax JavaScript rejects ((?P...), inline flags, possessive
# quantifiers) stays invalid. Lookbehinds must be fixed-width, a limit of Python's engine.

_WORD_SET: Final = "A-Za-z0-9_"
_SPACE_SET: Final = (
    "\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_SHORTHAND_SETS: Final = {"d": "0-9", "w": _WORD_SET, "s": _SPACE_SET}
_ANY_BUT_LINE_TERMINATOR: Final = "[^\\n\\r\\u2028\\u2029]"
_WORD_BOUNDARY: Final = (
    f"(?:(?<=[{_WORD_SET}])(?![{_WORD_SET}])|(?<![{_WORD_SET}])(?=[{_WORD_SET}]))"
)
_NOT_WORD_BOUNDARY: Final = (
    f"(?:(?<=[{_WORD_SET}])(?=[{_WORD_SET}])|(?<![{_WORD_SET}])(?![{_WORD_SET}]))"
)
_QUANTIFIER: Final = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")
_NAMED_GROUP: Final = re.compile(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>")
_BACK_REFERENCE: Final = re.compile(r"k<([A-Za-z_][A-Za-z0-9_]*)>")
_HEX2: Final = re.compile(r"[0-9a-fA-F]{2}")
_HEX4: Final = re.compile(r"[0-9a-fA-F]{4}")
_PLAIN_GROUPS: Final = ("(?:", "(?=", "(?!", "(?<=", "(?<!")


def _translate_escape(source: str, index: int, *, in_class: bool, named: bool) -> tuple[str, int]:
    """Translate the escape whose backslash precedes source[index]; return it and the next index."""
    if index >= len(source):
        raise _RegexSyntaxError("\\ at end of pattern")
    char = source[index]
    following = index + 1
    if char in "dws":
        shorthand = _SHORTHAND_SETS[char]
        return (shorthand if in_class else f"[{shorthand}]"), following
    if char in "DWS":
        # Only reached outside classes: _translate_class handles negated shorthands itself.
        return f"[^{_SHORTHAND_SETS[char.lower()]}]", following
    if char in "bB" and not in_class:
        return (_WORD_BOUNDARY if char == "b" else _NOT_WORD_BOUNDARY), following
    if char == "b":
        return "\\x08", following
    if char == "k" and named and not in_class:
        reference = _BACK_REFERENCE.match(source, index)
        if reference is not None:
            return f"(?P={reference[1]})", reference.end()
    if char == "c" and following < len(source) and source[following].isascii():
        letter = source[following]
        if letter.isalpha():
            return re.escape(chr(ord(letter) % 32)), following + 1
    if char == "c":
        # Annex B: a \c without a control letter is a literal backslash and "c".
        return "\\\\c", following
    if char == "x":
        hex_digits = _HEX2.match(source, following)
        return ("\\x" + hex_digits[0], hex_digits.end()) if hex_digits else ("x", following)
    if char == "u":
        hex_digits = _HEX4.match(source, following)
        return ("\\u" + hex_digits[0], hex_digits.end()) if hex_digits else ("u", following)
    if char in "tnrvf0123456789":
        return "\\" + char, following
    if char.isascii() and char.isalpha():
        # JavaScript reads unknown letter escapes (\A, \Z, \e, \k ...) as the letter itself.
        return char, following
    return re.escape(char), following


def _translate_class(source: str, index: int) -> tuple[str, int]:
    """Translate the class whose "[" precedes source[index]; return it and the next index."""
    negated = source.startswith("^", index)
    if negated:
        index += 1
    if source.startswith("]", index):
        # JavaScript's [] matches nothing and [^] matches anything.
        return ("[\\s\\S]" if negated else "(?!)"), index + 1
    members: list[str] = []
    excluded: list[str] = []
    while True:
        if index >= len(source):
            raise _RegexSyntaxError("unterminated character set")
        char = source[index]
        if char == "]":
            index += 1
            break
        if char == "\\" and source[index + 1 : index + 2] in ("D", "W", "S"):
            excluded.append(_SHORTHAND_SETS[source[index + 1].lower()])
            index += 2
        elif char == "\\":
            member, index = _translate_escape(source, index + 1, in_class=True, named=False)
            members.append(member)
        else:
            # Escape what Python would read as nested sets or set operations.
            repeated_dash = char == "-" and members[-1:] == ["-"]
            members.append("\\" + char if char in "[&~|" or repeated_dash else char)
            index += 1
    listed = "".join(members)
    if not excluded:
        return f"[{'^' if negated else ''}{listed}]", index
    if not negated:
        options = ([f"[{listed}]"] if listed else []) + [f"[^{s}]" for s in excluded]
        return "(?:" + "|".join(options) + ")", index
    # [^a\D] is a character that is not "a" and lies inside every excluded shorthand's set.
    inside = "".join(f"(?=[{s}])" for s in excluded)
    outside = f"(?![{listed}])" if listed else ""
    return f"(?:{outside}{inside}[\\s\\S])", index


def _translate_js_regex(source: str) -> str:
    named = _NAMED_GROUP.search(source) is not None
    out: list[str] = []
    index = 0
    # What the previous token was: JavaScript refuses to quantify a quantifier (Python would
    # read "a*+" as possessive), and only allows one lazy "?" after it.
    previous = "start"
    while index < len(source):
        char = source[index]
        kind = "atom"
        if char == "\\":
            token, index = _translate_escape(source, index + 1, in_class=False, named=named)
        elif char == "[":
            token, index = _translate_class(source, index + 1)
        elif char == "(":
            token = next((g for g in _PLAIN_GROUPS if source.startswith(g, index)), "")
            if token or not source.startswith("(?", index):
                token = token or "("
                index += len(token)
            else:
                group = _NAMED_GROUP.match(source, index)
                if group is None:
                    raise _RegexSyntaxError("invalid group syntax")
                token, index = f"(?P<{group[1]}>", group.end()
        elif char in "*+?":
            if previous == "quantifier" and char == "?":
                kind = "lazy"
            elif previous in ("quantifier", "lazy"):
                raise _RegexSyntaxError("nothing to repeat")
            else:
                kind = "quantifier"
            token, index = char, index + 1
        elif char == "{" and (bounds := _QUANTIFIER.match(source, index)) is not None:
            if previous in ("quantifier", "lazy"):
                raise _RegexSyntaxError("nothing to repeat")
            token, index, kind = bounds[0], bounds.end(), "quantifier"
        elif char == "{":
            # JavaScript reads a brace that isn't a quantifier (even "{,3}") as a literal.
            token, index = "\\{", index + 1
        elif char == ".":
            token, index = _ANY_BUT_LINE_TERMINATOR, index + 1
        elif char == "$":
            token, index = "\\Z", index + 1
        else:
            token, index = char, index + 1
        out.append(token)
        previous = kind
    return "".join(out)


@lru_cache(maxsize=1024)
def _compile_js_regex(source: str, ignore_case: bool) -> re.Pattern[str]:
    """Compile a JavaScript pattern, raising _RegexSyntaxError with a readable reason."""
    try:
        return re.compile(_translate_js_regex(source), re.IGNORECASE if ignore_case else 0)
    except re.error as error:
        raise _RegexSyntaxError(error.msg) from None
    except (RecursionError, OverflowError) as error:
        raise _RegexSyntaxError("the pattern is too complex") from error


def _compile_regex(operand: Any, *, ignore_case: bool, negate: bool) -> Predicate:
    # A pattern that doesn't compile never matches, so its negation always does (as in GrowthBook).
    try:
        pattern = _compile_js_regex(operand, ignore_case) if isinstance(operand, str) else None
    except _RegexSyntaxError:
        pattern = None
    if pattern is None:
        return _always if negate else _never
    search = pattern.search

    # RegExp.prototype.test converts its argument to a string, so 25 matches /^2/.
    if negate:
        return lambda value: search(value if type(value) is str else _to_string(value)) is None
    return lambda value: search(value if type(value) is str else _to_string(value)) is not None


# --- Versions ---------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _pad_version_text(text: str) -> str:
    # Drop a leading "v" and build metadata (the JavaScript regex /(^v|\+.*$)/g, where "." stops
    # at line terminators), then pad numeric parts so that text order is version order.
    start = 1 if text.startswith("v") else 0
    last_line = max(text.rfind(char) for char in _JS_LINE_TERMINATORS) + 1
    plus = text.find("+", max(start, last_line))
    parts = _VERSION_SEPARATOR.split(text[start : plus if plus >= 0 else len(text)])
    # A release without a pre-release tag sorts after its pre-releases ("~" is the largest ASCII).
    if len(parts) == 3:
        parts.append("~")
    return "-".join(part.rjust(5) if part.isascii() and part.isdigit() else part for part in parts)


def _padded_version(value: Any) -> str:
    """GrowthBook's paddedVersionString: numbers are stringified, non-strings read as "0"."""
    if not isinstance(value, str):
        number = _number_value(value)
        value = _number_to_string(number) if number is not None else ""
    return _pad_version_text(value or "0")


_VERSION_ORDERINGS: Final[Mapping[str, Callable[[str, str], bool]]] = {
    "$veq": operator.eq,
    "$vne": operator.ne,
    "$vlt": _utf16_less,
    "$vlte": _utf16_less_or_equal,
    "$vgt": _utf16_greater,
    "$vgte": _utf16_greater_or_equal,
}


def _compile_version(op: str, operand: Any) -> Predicate:
    order = _VERSION_ORDERINGS[op]
    expected = _padded_version(operand)
    return lambda value: order(_padded_version(value), expected)


# --- Operators --------------------------------------------------------------------------------


def _compile_operator(op: str, operand: Any) -> Predicate:
    if op == "$eq":
        return _strict_equal(operand)
    if op == "$ne":
        return _negate(_strict_equal(operand))
    if op in _ORDERINGS:
        return _compile_ordering(op, operand)
    if op in _VERSION_ORDERINGS:
        return _compile_version(op, operand)
    if op in ("$in", "$nin", "$ini", "$nini"):
        return _compile_in(operand, insensitive=op.endswith("i"), negate=op.startswith("$n"))
    if op in ("$all", "$alli"):
        return _compile_all(operand, insensitive=op == "$alli")
    if op == "$elemMatch":
        return _compile_elem_match(operand)
    if op == "$size":
        return _compile_size(operand)
    if op == "$exists":
        return _is_not_null if _truthy(operand) else _is_null
    if op == "$type":
        return _compile_type(operand)
    if op in ("$regex", "$regexi", "$notRegex", "$notRegexi"):
        return _compile_regex(operand, ignore_case=op.endswith("i"), negate=op.startswith("$not"))
    if op == "$not":
        return _negate(_compile_value(operand))
    # Unknown operators, logical operators applied to a value and saved groups.
    raise _InvalidConditionError


def compile_condition(condition: dict[str, Any]) -> Callable[[Mapping[str, Any]], bool]:
    """Compile a GrowthBook condition once into a fast test of attribute objects.

    The result matches GrowthBook's JavaScript `evalCondition` (the reference its shared test
    cases pin down), including its type coercions: "8" is between 5 and 10, a missing attribute
    reads as null and so is below 5, the literal "5" equals the number 5, $regex tests
    String(value), and $elemMatch skips falsy elements. It differs in two deliberate ways:

    - A malformed condition matches nothing as a whole, wherever the fault is: an unknown
      operator, $and/$or/$nor without a list of objects, $not or $elemMatch without an object,
      a value GrowthBook cannot read, or nesting deeper than MAX_DEPTH.
    - Saved groups ($inGroup, $notInGroup, $savedGroup) are not supported; they are unknown
      operators here.

    The returned function never raises: attributes that cannot be evaluated match nothing.
    """
    try:
        test = _never if _too_deep(condition) else _compile_condition(condition)
    except Exception:
        # Any fault in a condition, including ones no JSON document could contain, means no match.
        test = _never

    def matches(attributes: Mapping[str, Any]) -> bool:
        try:
            return test(attributes)
        except Exception:
            # Attributes are visitor data: nothing in them may break a decision.
            return False

    return matches


def evaluate_condition(condition: dict[str, Any], attributes: Mapping[str, Any]) -> bool:
    """Whether attributes satisfy condition; see compile_condition for the semantics."""
    return compile_condition(condition)(attributes)


# --- Inspection -------------------------------------------------------------------------------


def condition_paths(condition: dict[str, Any]) -> frozenset[str]:
    """Every attribute path a condition reads.

    Paths inside $elemMatch are relative to each array element, so only the array's own path is
    reported. A condition nested too deeply matches nothing and so reads nothing.
    """
    if _too_deep(condition):
        return frozenset()
    paths: set[str] = set()
    pending = [condition]
    while pending:
        current = pending.pop()
        if not isinstance(current, dict):
            continue
        for key, value in current.items():
            if key in ("$and", "$or", "$nor"):
                if isinstance(value, list):
                    pending.extend(value)
            elif key == "$not":
                pending.append(value)
            elif isinstance(key, str):
                paths.add(key)
    return frozenset(paths)


def validate_condition(condition: Any) -> list[str]:
    """Explain, in words fit for the admin, everything wrong with a condition (empty when valid).

    Reports a condition that isn't an object, nesting deeper than MAX_DEPTH, unknown operators
    (saved-group operators included, as they are not supported) with where they are, operands of
    the wrong kind, regular expressions that don't compile (with the reason), and attribute
    paths outside the context., prefs. and signals. namespaces.
    """
    if not isinstance(condition, dict):
        return [
            "the condition must be a JSON object such as "
            f'{{"context.device": "mobile"}}, not {_describe(condition)}.'
        ]
    if _too_deep(condition):
        return [f"the condition is nested more than {MAX_DEPTH} levels deep."]
    problems: list[str] = []
    _check_condition(condition, "", problems, relative=False)
    return problems


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if _number_value(value) is not None:
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a value that isn't JSON"


def _at(where: str) -> str:
    return f"at {where}" if where else "at the top level"


def _inside(where: str, step: str) -> str:
    return f"{where} > {step}" if where else step


def _check_condition(
    condition: dict[Any, Any], where: str, problems: list[str], *, relative: bool
) -> None:
    for key, value in condition.items():
        if not isinstance(key, str):
            problems.append(f"every key must be text; {key!r} {_at(where)} is not.")
        elif key in ("$and", "$or", "$nor"):
            _check_condition_list(key, value, where, problems, relative=relative)
        elif key == "$not":
            if isinstance(value, dict):
                _check_condition(value, _inside(where, key), problems, relative=relative)
            else:
                problems.append(
                    f'"$not" {_at(where)} needs a condition object, not {_describe(value)}.'
                )
        elif key.startswith("$"):
            problems.append(_unknown_operator(key, where))
        else:
            _check_path(key, problems, relative=relative)
            _check_value(value, _inside(where, key), problems)


def _check_condition_list(
    key: str, value: Any, where: str, problems: list[str], *, relative: bool
) -> None:
    if not isinstance(value, list):
        problems.append(f'"{key}" {_at(where)} needs a list of conditions, not {_describe(value)}.')
        return
    for number, item in enumerate(value, start=1):
        step = _inside(where, f"{key} item {number}")
        if isinstance(item, dict):
            _check_condition(item, step, problems, relative=relative)
        else:
            problems.append(
                f'"{key}" item {number} {_at(where)} must be a condition object, '
                f"not {_describe(item)}."
            )


def _check_path(path: str, problems: list[str], *, relative: bool) -> None:
    if not relative and not path.startswith(NAMESPACES):
        problems.append(f'attribute "{path}" must start with context., prefs. or signals.')
    elif "" in path.split("."):
        problems.append(f'attribute "{path}" has an empty part between its dots.')


def _unknown_operator(op: str, where: str) -> str:
    hint = " (saved groups are not supported)" if op in _SAVED_GROUP_OPERATORS else ""
    return f'unknown operator "{op}" {_at(where)}{hint}.'


def _check_value(value: Any, where: str, problems: list[str]) -> None:
    if isinstance(value, dict) and any(isinstance(k, str) and k.startswith("$") for k in value):
        if not _is_operator_object(value):
            problems.append(
                f"the value {_at(where)} mixes operators with plain fields, so it would be "
                "compared as a literal object; use only operators."
            )
            return
        for op, operand in value.items():
            _check_operator(op, operand, where, problems)
    elif _describe(value) == "a value that isn't JSON":
        problems.append(f"the value {_at(where)} is not a JSON value.")


def _check_operator(op: str, operand: Any, where: str, problems: list[str]) -> None:
    kind = _describe(operand)
    if op in ("$eq", "$ne"):
        if isinstance(operand, list | dict):
            problems.append(
                f'"{op}" {_at(where)} compares single values; {kind} is never equal to anything.'
            )
    elif op in _ORDERINGS:
        if not isinstance(operand, str) and _number_value(operand) is None:
            problems.append(f'"{op}" {_at(where)} needs a number or text, not {kind}.')
    elif op in _VERSION_ORDERINGS:
        if not isinstance(operand, str) or not operand:
            problems.append(
                f'"{op}" {_at(where)} needs a version as text such as "1.2.3", not {kind}.'
            )
    elif op in ("$in", "$nin", "$ini", "$nini"):
        _check_list_operand(op, operand, where, problems)
    elif op in ("$all", "$alli"):
        if isinstance(operand, list):
            for number, item in enumerate(operand, start=1):
                _check_value(item, _inside(where, f"{op} item {number}"), problems)
        else:
            problems.append(f'"{op}" {_at(where)} needs a list of values, not {kind}.')
    elif op == "$elemMatch":
        _check_elem_match(operand, where, problems)
    elif op == "$size":
        _check_size(operand, where, problems)
    elif op == "$exists":
        if not isinstance(operand, bool):
            problems.append(f'"$exists" {_at(where)} must be true or false, not {kind}.')
    elif op == "$type":
        if operand not in _TYPE_NAMES:
            names = ", ".join(f'"{name}"' for name in _TYPE_NAMES[:-1])
            shown = f'"{operand}"' if isinstance(operand, str) else kind
            problems.append(f'"$type" {_at(where)} must be one of {names} or "null", not {shown}.')
    elif op in ("$regex", "$regexi", "$notRegex", "$notRegexi"):
        _check_regex(op, operand, where, problems)
    elif op == "$not":
        if _is_operator_object(operand):
            _check_value(operand, _inside(where, "$not"), problems)
        else:
            problems.append(
                f'"$not" {_at(where)} needs operators to negate such as {{"$in": ["a", "b"]}}, '
                f"not {kind}."
            )
    elif op in _LOGICAL:
        problems.append(
            f'"{op}" {_at(where)} combines whole conditions and cannot be applied to a value; '
            "use it next to attribute paths instead."
        )
    else:
        problems.append(_unknown_operator(op, where))


def _check_list_operand(op: str, operand: Any, where: str, problems: list[str]) -> None:
    if not isinstance(operand, list):
        problems.append(f'"{op}" {_at(where)} needs a list of values, not {_describe(operand)}.')
        return
    for number, item in enumerate(operand, start=1):
        if isinstance(item, list | dict):
            problems.append(
                f'"{op}" {_at(where)}: item {number} is {_describe(item)}, which never matches; '
                "use text, numbers, true/false or null."
            )


def _check_elem_match(operand: Any, where: str, problems: list[str]) -> None:
    step = _inside(where, "$elemMatch")
    if not isinstance(operand, dict) or not operand:
        problems.append(
            f'"$elemMatch" {_at(where)} needs an object with at least one condition, '
            f"not {'an empty object' if isinstance(operand, dict) else _describe(operand)}."
        )
    elif _is_operator_object(operand):
        _check_value(operand, step, problems)
    else:
        # Inside $elemMatch, paths are relative to each element, so no namespace applies.
        _check_condition(operand, step, problems, relative=True)


def _check_size(operand: Any, where: str, problems: list[str]) -> None:
    if _is_operator_object(operand):
        _check_value(operand, _inside(where, "$size"), problems)
        return
    number = _number_value(operand)
    if number is None or not math.isfinite(number) or number < 0 or number != int(number):
        shown = _number_to_string(number) if number is not None else _describe(operand)
        problems.append(
            f'"$size" {_at(where)} needs a whole number of items or operators such as '
            f'{{"$gt": 2}}, not {shown}.'
        )


def _check_regex(op: str, operand: Any, where: str, problems: list[str]) -> None:
    if not isinstance(operand, str):
        problems.append(
            f'"{op}" {_at(where)} needs a regular expression as text, not {_describe(operand)}.'
        )
        return
    try:
        _compile_js_regex(operand, op.endswith("i"))
    except _RegexSyntaxError as error:
        problems.append(f'"{op}" {_at(where)} is not a valid regular expression: {error}.')
