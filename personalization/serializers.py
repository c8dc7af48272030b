"""Request and response shapes of the decision APIs (also what /api/schema/ documents)."""

import math
import re
from typing import Any

from rest_framework import serializers

CONTEXT_MAX_KEYS = 50
CONTEXT_MAX_LIST = 50
CONTEXT_MAX_STRING = 1024
CONTEXT_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
SCALARS = (str, int, float, bool, type(None))


def context_problems(context: Any) -> list[str]:
    """Why a request context is unacceptable: flat keys, scalar or list-of-scalar values."""
    if not isinstance(context, dict):
        return ["context must be a JSON object"]
    if len(context) > CONTEXT_MAX_KEYS:
        return [f"context has more than {CONTEXT_MAX_KEYS} keys"]
    problems = []
    for key, value in context.items():
        if not CONTEXT_KEY.match(key):
            problems.append(f"context key {key[:70]!r} must match {CONTEXT_KEY.pattern}")
        elif isinstance(value, list):
            if len(value) > CONTEXT_MAX_LIST or not all(_scalar_ok(v) for v in value):
                problems.append(
                    f"context.{key} must be a list of at most {CONTEXT_MAX_LIST} "
                    "strings, numbers, booleans or nulls"
                )
        elif not _scalar_ok(value):
            problems.append(f"context.{key} must be a string, number, boolean, null or list")
    return problems


def _scalar_ok(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) <= CONTEXT_MAX_STRING
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) < 2**53
    return isinstance(value, SCALARS)


class ContextField(serializers.DictField):
    """Contextual attributes (`context.*`): sent with each request, never stored."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        problems = context_problems(data)
        if problems:
            raise serializers.ValidationError(problems)
        return dict(data)


class DecideRequestSerializer(serializers.Serializer[Any]):
    placements = serializers.ListField(
        child=serializers.SlugField(max_length=64),
        required=False,
        max_length=100,
        help_text="Placement keys to decide; all placements when omitted.",
    )
    # DRF moves declared fields off the class, so `context` does not shadow Serializer.context.
    context = ContextField(required=False, default=dict)  # type: ignore[assignment]


class DecisionSerializer(serializers.Serializer[Any]):
    value = serializers.JSONField()
    variant = serializers.CharField()
    reason = serializers.ChoiceField(
        choices=["TARGETING_MATCH", "SPLIT", "DEFAULT", "DISABLED", "ERROR", "CONSENT_REQUIRED"]
    )
    personalized = serializers.BooleanField()
    explanation = serializers.DictField()


class DecideResponseSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField()
    decisions = serializers.DictField(child=DecisionSerializer())
    consent = serializers.DictField(child=serializers.BooleanField())


class OfrepRequestSerializer(serializers.Serializer[Any]):
    context = serializers.DictField(required=False)  # type: ignore[assignment]


class OfrepSuccessSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    value = serializers.JSONField()
    reason = serializers.CharField()
    variant = serializers.CharField()
    metadata = serializers.DictField()


class OfrepFailureSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    errorCode = serializers.CharField()
    errorDetails = serializers.CharField()


class OfrepBulkSerializer(serializers.Serializer[Any]):
    flags = serializers.ListField(child=serializers.DictField())
