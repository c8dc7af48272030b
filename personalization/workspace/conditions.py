"""Segment conditions for people: problems in plain words, catalogue checks, and descriptions.

The engine validates and inspects conditions (`validate_condition`, `condition_paths`,
`condition_manifest`); this module words its answers for marketers, checks paths against the
attribute catalogue, and says what a condition means ("Device is mobile and …").
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from consent.firewall import sensitive_categories
from personalization.engine import condition_manifest, condition_paths, validate_condition
from personalization.workspace.catalogue import Catalogue

_COMBINATORS: Final = ("$and", "$or", "$nor")


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator the segment builder offers, for attributes of `types`."""

    code: str  # what the builder selects; the JSON operator, or a fixed form of one
    label: str
    types: tuple[str, ...]
    operand: str  # "value", "list", "none" (fixed operand) or "count"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "types": self.types,
            "operand": self.operand,
        }


SCALARS: Final = ("string", "number", "boolean")
# The builder's vocabulary; `describe_condition` words conditions with the same labels.
OPERATORS: Final = (
    Operator("$eq", "is", SCALARS, "value"),
    Operator("$ne", "is not", SCALARS, "value"),
    Operator("$in", "is one of", ("string", "number"), "list"),
    Operator("$nin", "is none of", ("string", "number"), "list"),
    Operator("$gte", "is at least", ("number",), "value"),
    Operator("$gt", "is more than", ("number",), "value"),
    Operator("$lte", "is at most", ("number",), "value"),
    Operator("$lt", "is less than", ("number",), "value"),
    Operator("$regex", "matches the pattern", ("string",), "value"),
    Operator("includes", "includes", ("list",), "value"),
    Operator("$in:list", "includes any of", ("list",), "list"),
    Operator("$all", "includes all of", ("list",), "list"),
    Operator("$nin:list", "includes none of", ("list",), "list"),
    Operator("empty", "is empty", ("list",), "none"),
    Operator("$exists:true", "is set", (*SCALARS, "list"), "none"),
    Operator("$exists:false", "is not set", (*SCALARS, "list"), "none"),
)
_WORDS: Final = {
    "$eq": "is",
    "$ne": "is not",
    "$in": "is one of",
    "$nin": "is none of",
    "$gte": "is at least",
    "$gt": "is more than",
    "$lte": "is at most",
    "$lt": "is less than",
    "$regex": "matches the pattern",
    "$regexi": "matches the pattern (any case)",
    "$all": "includes all of",
    "$size": "has this many items:",
    "$type": "is of type",
    "$veq": "is version",
    "$vne": "is not version",
    "$vgt": "is a version after",
    "$vgte": "is at least version",
    "$vlt": "is a version before",
    "$vlte": "is at most version",
}


def condition_pairs(condition: Any) -> Iterator[tuple[str, Any]]:
    """Every (attribute path, expected value) clause of a condition, through $and/$or/$nor/$not."""
    if not isinstance(condition, dict):
        return
    for key, value in condition.items():
        if key in _COMBINATORS:
            for item in value if isinstance(value, list) else []:
                yield from condition_pairs(item)
        elif key == "$not":
            yield from condition_pairs(value)
        elif isinstance(key, str) and not key.startswith("$"):
            yield key, value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def sensitive_messages(*, paths: Any = (), values: Any = ()) -> list[str]:
    """The firewall's verdict in words a marketer can act on, one line per offending text."""
    messages = []
    for kind, texts in (("attribute", paths), ("value", values)):
        for text in texts:
            for category, term in sensitive_categories(str(text)):
                messages.append(
                    f'The {kind} "{text}" can\'t be used: the word "{term.text.rstrip("*")}" '
                    f"touches {category.label}, a sensitive category that Tactful never "
                    "personalizes on."
                )
    return messages


def condition_problems(condition: Any) -> list[str]:
    """What is wrong with a condition (empty when it can be saved): structure, then firewall."""
    problems = validate_condition(condition)
    if problems:
        return [problem[:1].upper() + problem[1:] for problem in problems]
    return sensitive_messages(
        paths=sorted(condition_paths(condition)), values=list(_strings(condition))
    )


@dataclass(slots=True)
class CatalogueCheck:
    """Paths outside the catalogue: refused per path, or only warned about as free-form."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _operands(value: Any) -> Iterator[Any]:
    """The values a clause compares an attribute with (through $not and lists)."""
    if isinstance(value, dict) and value and all(str(k).startswith("$") for k in value):
        for op, operand in value.items():
            if op in ("$exists", "$type", "$size", "$regex", "$regexi") or op.startswith("$v"):
                continue
            yield from _operands(operand)
    elif isinstance(value, list):
        for item in value:
            yield from _operands(item)
    else:
        yield value


def catalogue_check(
    condition: Any, catalogue: Catalogue, *, allow_free_form: bool
) -> CatalogueCheck:
    """Refuse attributes the catalogue does not know (free-form context may be allowed), and
    numbers compared with anything but numbers."""
    check = CatalogueCheck()
    if not isinstance(condition, dict):
        return check
    for path, value in condition_pairs(condition):
        attribute = catalogue.find(path)
        if attribute is None or attribute.type != "number":
            continue
        wrong = [
            o for o in _operands(value) if isinstance(o, bool) or not isinstance(o, int | float)
        ]
        if wrong:
            check.problems.setdefault(path, []).append(
                f'"{catalogue.label(path)}" is a number; compare it with a number such as 3, '
                f"not {json.dumps(wrong[0])}."
            )
    for path in sorted(condition_paths(condition)):
        if catalogue.find(path) is not None:
            continue
        if allow_free_form and path.startswith("context."):
            check.warnings.append(
                f'"{path}" is not a declared context attribute: it matches only if the page '
                "sends it under exactly this name."
            )
            continue
        message = f'"{path}" is not an attribute Tactful knows, so it would never match.'
        if suggestion := catalogue.suggestion(path):
            message += f' Did you mean "{suggestion}"?'
        elif path.startswith("context."):
            message += (
                " Declare it under Context attributes, or allow free-form context attributes."
            )
        check.problems.setdefault(path, []).append(message)
    return check


def condition_purposes(condition: Any) -> list[str]:
    """The purposes a visitor must grant for the condition to be considered (the engine's view)."""
    if not isinstance(condition, dict) or validate_condition(condition):
        return []
    _, purposes = condition_manifest(condition)
    return sorted(purposes)


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ", ".join(_literal(item) for item in value) or "nothing"
    return json.dumps(value)


def _describe_value(value: Any) -> str:
    if not isinstance(value, dict) or not value or not all(str(k).startswith("$") for k in value):
        return f"is {_literal(value)}"
    parts = []
    for op, operand in value.items():
        if op == "$exists":
            parts.append("is set" if operand else "is not set")
        elif op == "$elemMatch" and isinstance(operand, dict) and set(operand) == {"$eq"}:
            parts.append(f"includes {_literal(operand['$eq'])}")
        elif op == "$size" and operand == 0:
            parts.append("is empty")
        elif op == "$not":
            parts.append(f"not ({_describe_value(operand)})")
        elif op in _WORDS:
            parts.append(f"{_WORDS[op]} {_literal(operand)}")
        else:
            parts.append(f"{op} {json.dumps(operand)}")
    return " and ".join(parts)


def describe_condition(condition: Any, catalogue: Catalogue) -> str:
    """A condition in words: "Device is mobile and Product view …: times … is at least 3"."""
    if not isinstance(condition, dict):
        return json.dumps(condition)
    if not condition:
        return "Everyone"
    parts = []
    for key, value in condition.items():
        if key in _COMBINATORS and isinstance(value, list):
            inner = [describe_condition(item, catalogue) for item in value]
            if key == "$and":
                parts.append("(" + " and ".join(inner) + ")")
            elif key == "$or":
                parts.append("(" + " or ".join(inner) + ")")
            else:
                parts.append("none of (" + "; ".join(inner) + ")")
        elif key == "$not":
            parts.append(f"not ({describe_condition(value, catalogue)})")
        else:
            parts.append(f"{catalogue.label(key)} {_describe_value(value)}")
    return " and ".join(parts)
