"""Placement values for people: typed text in and out, JSON Schema checks, storefront previews."""

import json
import math
from typing import Any, Protocol

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.html import escape
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from personalization.engine import ValueType, value_type_problem

# A bare engine: no loaders or extra libraries, so a preview template can neither include
# other templates nor load tags; it sees nothing but `value`.
_PREVIEW_ENGINE = Engine()
MAX_SCHEMA_PROBLEMS = 5


class Typed(Protocol):
    value_type: str
    value_schema: Any


def schema_problems(schema: Any) -> list[str]:
    """Why `schema` is not a usable JSON Schema (empty when it is)."""
    if not isinstance(schema, dict):
        return ['A JSON Schema is an object, e.g. {"type": "object", "properties": {…}}.']
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return [f"This is not a valid JSON Schema: {error.message}."]
    return []


def value_problems(placement: Typed, value: Any) -> list[str]:
    """Why `value` cannot be served by `placement` (its type, then its schema), or []."""
    if problem := value_type_problem(placement.value_type, value):
        return [f"{problem}."]
    schema = placement.value_schema
    if placement.value_type != ValueType.JSON or not schema or schema_problems(schema):
        return []
    problems = []
    for error in Draft202012Validator(schema).iter_errors(value):
        where = ".".join(str(part) for part in error.absolute_path)
        problems.append(f"{where}: {error.message}." if where else f"{error.message}.")
        if len(problems) == MAX_SCHEMA_PROBLEMS:
            break
    return problems


def value_from_text(value_type: str, text: str) -> Any:
    """The value a marketer typed: text as is, a number, yes/no, or JSON; ValueError if not."""
    kind = ValueType(value_type)
    if kind is ValueType.STRING:
        return text
    stripped = text.strip()
    if kind is ValueType.BOOLEAN:
        if stripped.lower() in {"true", "on", "yes", "1"}:
            return True
        if stripped.lower() in {"false", "off", "no", "0", ""}:
            return False
        raise ValueError("Choose on or off.")
    if kind is ValueType.NUMBER:
        try:
            number = float(stripped)
        except ValueError:
            raise ValueError(f'"{stripped}" is not a number; write it like 12 or 4.5.') from None
        if not math.isfinite(number):
            raise ValueError("Enter a finite number.")
        return int(number) if number.is_integer() and "." not in stripped else number
    if not stripped:
        raise ValueError("Enter a value.")
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"This is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from None


def value_to_text(value_type: str, value: Any) -> str:
    """How a value is shown in its editor: the inverse of `value_from_text`."""
    if value_type == ValueType.STRING and isinstance(value, str):
        return value
    if value_type == ValueType.BOOLEAN and isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, indent=2 if value_type == ValueType.JSON else None)


def template_problems(template: str) -> list[str]:
    if not template:
        return []
    try:
        _PREVIEW_ENGINE.from_string(template)
    except TemplateSyntaxError as error:
        return [f"The preview template has an error: {error}."]
    return []


def preview_render(template: str, value: Any) -> str:
    """The storefront preview of `value` (HTML, for a sandboxed frame); an error in words."""
    try:
        body = str(_PREVIEW_ENGINE.from_string(template).render(Context({"value": value})))
    except TemplateSyntaxError as error:
        body = f"<p>The preview template has an error: {escape(str(error))}</p>"
    # Shown at half size, so a whole hero fits next to the form.
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Preview</title>'
        f"<style>body{{margin:0;zoom:.5}}</style></head><body>{body}</body></html>"
    )
