"""Compile whole conditions into predicates and evaluate them: paths, logic, operator dispatch."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from .operators import (
    ORDERINGS,
    VERSION_ORDERINGS,
    compile_in,
    compile_ordering,
    compile_regex,
    compile_type,
    compile_version,
    literal_boolean,
    literal_number,
    literal_string,
    strict_equal,
)
from .predicates import (
    Predicate,
    all_of,
    any_of,
    is_not_null,
    is_null,
    negation,
    never,
    path_test,
)
from .values import json_equal, number_value, truthy

#: Conditions nested deeper than this many objects and lists never match and fail validation.
MAX_DEPTH: Final = 64


class _InvalidConditionError(Exception):
    """The condition cannot be evaluated, so it matches nothing."""


def too_deep(value: Any) -> bool:
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


def is_operator_object(value: Any) -> bool:
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
            tests.append(all_of(_compile_condition_list(value)))
        elif key == "$or":
            tests.append(any_of(_compile_condition_list(value)))
        elif key == "$nor":
            tests.append(negation(any_of(_compile_condition_list(value))))
        elif key == "$not":
            tests.append(negation(_compile_condition(value)))
        else:
            # GrowthBook reads any other key, even one starting with "$", as an attribute path.
            tests.append(path_test(key, _compile_value(value)))
    return all_of(tests)


def _compile_condition_list(value: Any) -> list[Predicate]:
    if not isinstance(value, list):
        raise _InvalidConditionError
    return [_compile_condition(item) for item in value]


def _compile_value(expected: Any, *, insensitive: bool = False) -> Predicate:
    """Compile what a path is compared with: a literal or an object of operators."""
    if isinstance(expected, str):
        return literal_string(expected, insensitive=insensitive)
    if isinstance(expected, bool):
        return literal_boolean(expected)
    if expected is None:
        return is_null
    number = number_value(expected)
    if number is not None:
        return literal_number(number)
    if is_operator_object(expected):
        return all_of([_compile_operator(op, operand) for op, operand in expected.items()])
    if isinstance(expected, list | dict):
        # Arrays and objects without operators (including {}) compare as JSON text.
        return lambda value: json_equal(expected, value)
    raise _InvalidConditionError


def _compile_all(operand: Any, *, insensitive: bool) -> Predicate:
    if not isinstance(operand, list):
        return never
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
    test = _compile_value(operand) if is_operator_object(operand) else _compile_condition(operand)

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return False
        # GrowthBook's JavaScript SDK skips falsy elements (0, "", false, null) entirely.
        for item in value:
            if truthy(item) and test(item):
                break
        else:
            return False
        return True

    return check


def _compile_size(operand: Any) -> Predicate:
    test = _compile_value(operand)
    return lambda value: isinstance(value, list) and test(len(value))


def _compile_operator(op: str, operand: Any) -> Predicate:
    if op == "$eq":
        return strict_equal(operand)
    if op == "$ne":
        return negation(strict_equal(operand))
    if op in ORDERINGS:
        return compile_ordering(op, operand)
    if op in VERSION_ORDERINGS:
        return compile_version(op, operand)
    if op in ("$in", "$nin", "$ini", "$nini"):
        return compile_in(operand, insensitive=op.endswith("i"), negate=op.startswith("$n"))
    if op in ("$all", "$alli"):
        return _compile_all(operand, insensitive=op == "$alli")
    if op == "$elemMatch":
        return _compile_elem_match(operand)
    if op == "$size":
        return _compile_size(operand)
    if op == "$exists":
        return is_not_null if truthy(operand) else is_null
    if op == "$type":
        return compile_type(operand)
    if op in ("$regex", "$regexi", "$notRegex", "$notRegexi"):
        return compile_regex(operand, ignore_case=op.endswith("i"), negate=op.startswith("$not"))
    if op == "$not":
        return negation(_compile_value(operand))
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
        test = never if too_deep(condition) else _compile_condition(condition)
    except Exception:
        # Any fault in a condition, including ones no JSON document could contain, means no match.
        test = never

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
