"""The engine's data: a compiled snapshot in, a visitor in, decisions out."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Which consent purpose each attribute namespace needs; `context` is sent with the request and
# needs none. A path outside these namespaces is refused when a condition is validated.
NAMESPACE_PURPOSES: Mapping[str, str | None] = {
    "context": None,
    "prefs": "personalization",
    "signals": "personalization",
}


class Reason(StrEnum):
    TARGETING_MATCH = "TARGETING_MATCH"
    SPLIT = "SPLIT"
    DEFAULT = "DEFAULT"
    DISABLED = "DISABLED"
    ERROR = "ERROR"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"


class ValueType(StrEnum):
    BOOLEAN = "boolean"
    STRING = "string"
    NUMBER = "number"
    JSON = "json"


@dataclass(frozen=True, slots=True)
class CompiledSegment:
    key: str
    matches: Callable[[Mapping[str, Any]], bool]
    paths: tuple[str, ...]
    namespaces: frozenset[str]
    purposes: frozenset[str]


@dataclass(frozen=True, slots=True)
class CompiledExperiment:
    key: str
    seed: str
    hash_version: int
    variants: tuple[str, ...]
    ranges: tuple[tuple[float, float], ...]
    required_purpose: str | None
    running: bool


@dataclass(frozen=True, slots=True)
class CompiledRule:
    order: int
    segment: CompiledSegment | None
    variant: str | None
    experiment: CompiledExperiment | None
    rollout: float
    purposes: frozenset[str]


@dataclass(frozen=True, slots=True)
class CompiledHoldout:
    """A persistent share of a placement's visitors kept on the default even when a rule
    matches, to measure what personalization itself is worth."""

    # The share of [0, 1) held out: a visitor is held out when hash_unit(seed, subject, 2) < share.
    share: float
    seed: str
    # Only visitors who granted it are held out: no one else is measured, so holding them out
    # would withhold personalization for nothing.
    required_purpose: str | None


@dataclass(frozen=True, slots=True)
class CompiledPlacement:
    key: str
    value_type: ValueType
    default: Any
    enabled: bool
    variants: Mapping[str, Any]
    rules: tuple[CompiledRule, ...]
    holdout: CompiledHoldout | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    revision: int
    placements: Mapping[str, CompiledPlacement]


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is asking: only the namespaces of granted purposes are ever filled in."""

    subject_id: str | None
    attributes: Mapping[str, Mapping[str, Any]]
    granted: frozenset[str]


@dataclass(frozen=True, slots=True)
class Decision:
    key: str
    value: Any
    variant: str | None
    reason: Reason
    personalized: bool
    explanation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "variant": self.variant,
            "reason": self.reason.value,
            "personalized": self.personalized,
            "explanation": self.explanation,
        }


def value_type_problem(value_type: ValueType | str, value: Any) -> str | None:
    """Why `value` cannot be served by a placement of `value_type`, or None when it can."""
    kind = ValueType(value_type)
    if kind is ValueType.BOOLEAN and not isinstance(value, bool):
        return "must be true or false"
    if kind is ValueType.STRING and not isinstance(value, str):
        return 'must be a JSON string, e.g. "generic"'
    if kind is ValueType.NUMBER and (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != value
        or value in (float("inf"), float("-inf"))
    ):
        return "must be a finite number"
    if kind is ValueType.JSON and value is None:
        return "must not be null"
    return None
