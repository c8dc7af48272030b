"""JavaScript value semantics for JSON data: coercion, comparison, equality and type names."""

import math
import re
from collections.abc import Mapping
from typing import Any, Final

# Attributes and conditions are JSON. GrowthBook's reference SDK is JavaScript, whose operators
# coerce between types, so these helpers reproduce the coercions its evaluator relies on.

# Integers up to 2**53 are exact doubles, so only larger ones need converting like JavaScript.
SAFE_INTEGER: Final = 2**53
JS_LINE_TERMINATORS: Final = "\n\r\u2028\u2029"
_JS_WHITESPACE: Final = (
    "\t\v\f \u00a0\ufeff\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u202f\u205f\u3000" + JS_LINE_TERMINATORS
)
_DECIMAL_LITERAL: Final = re.compile(
    r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)
_RADIX_LITERAL: Final = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")
_RADIXES: Final = {"x": 16, "o": 8, "b": 2}
_ARRAY_INDEX_LIMIT: Final = 2**32 - 1
#: The names $type accepts, as type_name gives them for JSON values.
TYPE_NAMES: Final = ("string", "number", "boolean", "array", "object", "null")


def _int_to_double(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        # JavaScript has no integers beyond the double range: JSON reads them as +-Infinity.
        return math.inf if value > 0 else -math.inf


def number_value(value: Any) -> float | None:
    """The double a JavaScript number would hold, or None when value is not a number."""
    cls = type(value)
    if cls is float:
        exact: float = value
        return exact
    if cls is int:
        if -SAFE_INTEGER <= value <= SAFE_INTEGER:
            safe: int = value
            return safe
        return _int_to_double(value)
    if cls is bool or not isinstance(value, int | float):
        return None
    return _int_to_double(value) if isinstance(value, int) else float(value)


def number_to_string(number: float) -> str:
    """JavaScript's Number.prototype.toString()."""
    if number != number:
        return "NaN"
    if number == 0:
        return "0"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number < 0:
        return "-" + number_to_string(-number)
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


def to_string(value: Any) -> str:
    """JavaScript's String(value), which is also what `value + ""` produces."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    number = number_value(value)
    if number is not None:
        return number_to_string(number)
    if isinstance(value, list):
        # Array.prototype.join writes null elements as empty strings.
        return ",".join("" if item is None else to_string(item) for item in value)
    return "[object Object]"


def to_primitive(value: Any) -> Any:
    """JavaScript's ToPrimitive: arrays and objects become strings, everything else stays."""
    if isinstance(value, list):
        return to_string(value)
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


def to_number(value: Any) -> float:
    """JavaScript's Number(value)."""
    number = number_value(value)
    if number is not None:
        return number
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, str):
        return _string_to_number(value)
    if isinstance(value, list):
        return _string_to_number(to_string(value))
    return math.nan


def truthy(value: Any) -> bool:
    """JavaScript truthiness, where empty lists and objects are true."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str):
        return value != ""
    number = number_value(value)
    if number is not None:
        return number == number and number != 0
    return True


def type_name(value: Any) -> str:
    """GrowthBook's getType: the JSON type of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if number_value(value) is not None:
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def utf16_less(left: str, right: str) -> bool:
    """JavaScript's string order, which compares UTF-16 code units rather than code points."""
    # The orders only differ between two non-ASCII strings (astral vs. U+E000..U+FFFF).
    if left.isascii() or right.isascii():
        return left < right
    return left.encode("utf-16-be", "surrogatepass") < right.encode("utf-16-be", "surrogatepass")


def utf16_less_or_equal(left: str, right: str) -> bool:
    return not utf16_less(right, left)


def utf16_greater(left: str, right: str) -> bool:
    return utf16_less(right, left)


def utf16_greater_or_equal(left: str, right: str) -> bool:
    return not utf16_less(left, right)


def is_array_index(key: str) -> bool:
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
    indices = [key for key in keys if isinstance(key, str) and is_array_index(key)]
    if not indices:
        return keys
    others = [key for key in keys if not (isinstance(key, str) and is_array_index(key))]
    return sorted(indices, key=int) + others


def _json_scalar(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, None)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, str):
        return (3, value)
    number = number_value(value)
    if number is not None:
        # JSON.stringify writes NaN and +-Infinity as null.
        return (2, number) if math.isfinite(number) else (0, None)
    # Values JSON cannot represent are never equal to anything.
    return (4, object())


def json_equal(expected: Any, value: Any) -> bool:
    """Whether JSON.stringify would write both values identically.

    Recursion follows expected, a condition literal, whose depth is bounded by MAX_DEPTH.
    """
    if isinstance(expected, list):
        return (
            isinstance(value, list)
            and len(expected) == len(value)
            and all(json_equal(e, v) for e, v in zip(expected, value, strict=True))
        )
    if isinstance(expected, dict):
        if not isinstance(value, dict):
            return False
        keys = _property_order(expected)
        return keys == _property_order(value) and all(
            json_equal(expected[k], value[k]) for k in keys
        )
    if isinstance(value, list | dict):
        return False
    return _json_scalar(expected) == _json_scalar(value)
