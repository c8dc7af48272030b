"""Inspect conditions without compiling them: the paths they read and admin-facing validation."""

import math
from typing import Any, Final

from .compiler import MAX_DEPTH, is_operator_object, too_deep
from .operators import ORDERINGS, VERSION_ORDERINGS
from .regex import RegexSyntaxError, RegexUnsupportedError, compile_js_regex
from .values import TYPE_NAMES, number_to_string, number_value

#: Every top-level attribute path starts with one of these.
NAMESPACES: Final = ("context.", "prefs.", "signals.")
_LOGICAL: Final = frozenset({"$and", "$or", "$nor", "$not"})
_SAVED_GROUP_OPERATORS: Final = frozenset(
    {"$inGroup", "$notInGroup", "$savedGroup", "$savedGroups"}
)


def condition_paths(condition: dict[str, Any]) -> frozenset[str]:
    """Every attribute path a condition reads.

    Paths inside $elemMatch are relative to each array element, so only the array's own path is
    reported. A condition nested too deeply matches nothing and so reads nothing.
    """
    if too_deep(condition):
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
    if too_deep(condition):
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
    if number_value(value) is not None:
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
        if not is_operator_object(value):
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
    elif op in ORDERINGS:
        if not isinstance(operand, str) and number_value(operand) is None:
            problems.append(f'"{op}" {_at(where)} needs a number or text, not {kind}.')
    elif op in VERSION_ORDERINGS:
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
        if operand not in TYPE_NAMES:
            names = ", ".join(f'"{name}"' for name in TYPE_NAMES[:-1])
            shown = f'"{operand}"' if isinstance(operand, str) else kind
            problems.append(f'"$type" {_at(where)} must be one of {names} or "null", not {shown}.')
    elif op in ("$regex", "$regexi", "$notRegex", "$notRegexi"):
        _check_regex(op, operand, where, problems)
    elif op == "$not":
        if is_operator_object(operand):
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
    elif is_operator_object(operand):
        _check_value(operand, step, problems)
    else:
        # Inside $elemMatch, paths are relative to each element, so no namespace applies.
        _check_condition(operand, step, problems, relative=True)


def _check_size(operand: Any, where: str, problems: list[str]) -> None:
    if is_operator_object(operand):
        _check_value(operand, _inside(where, "$size"), problems)
        return
    number = number_value(operand)
    if number is None or not math.isfinite(number) or number < 0 or number != int(number):
        shown = number_to_string(number) if number is not None else _describe(operand)
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
        compile_js_regex(operand, op.endswith("i"))
    except RegexSyntaxError as error:
        problems.append(f'"{op}" {_at(where)} is not a valid regular expression: {error}.')
    except RegexUnsupportedError as error:
        problems.append(f'"{op}" {_at(where)}: the pattern "{operand}" {error}.')
