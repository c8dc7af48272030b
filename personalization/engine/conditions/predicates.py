"""Building blocks of compiled conditions: predicate combinators and attribute-path lookups."""

from collections.abc import Callable, Mapping
from typing import Any

from .values import is_array_index

Predicate = Callable[[Any], bool]


def always(_value: Any) -> bool:
    return True


def never(_value: Any) -> bool:
    return False


def is_null(value: Any) -> bool:
    return value is None


def is_not_null(value: Any) -> bool:
    return value is not None


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda value: first(value) and second(value)


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda value: first(value) or second(value)


def all_of(tests: list[Predicate]) -> Predicate:
    # Nested pairs measure as fast as a loop and much faster than all() over a generator.
    if not tests:
        return always
    combined = tests[-1]
    for test in reversed(tests[:-1]):
        combined = _both(test, combined)
    return combined


def any_of(tests: list[Predicate]) -> Predicate:
    # GrowthBook treats an empty $or as a match.
    if not tests:
        return always
    combined = tests[-1]
    for test in reversed(tests[:-1]):
        combined = _either(test, combined)
    return combined


def negation(test: Predicate) -> Predicate:
    return lambda value: not test(value)


def _read_path(value: Any, segments: tuple[str, ...]) -> Any:
    """GrowthBook's getPath: the value at a dotted path, or None when any step is missing."""
    for segment in segments:
        if type(value) is dict:
            value = value.get(segment)
        elif isinstance(value, list):
            # Like JavaScript's `in`, arrays expose their length and their canonical indices.
            if segment == "length":
                value = len(value)
            elif is_array_index(segment) and int(segment) < len(value):
                value = value[int(segment)]
            else:
                return None
        elif isinstance(value, Mapping):
            value = value.get(segment)
        else:
            return None
    return value


def path_test(path: str, test: Predicate) -> Predicate:
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
