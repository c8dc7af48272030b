"""Request and response shapes of the decision APIs (also what /api/schema/ documents)."""

import re
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import RegistryFieldSchema, StrictCharField
from personalization.snapshot import snapshot_current

CONTEXT_MAX_KEYS = 50
CONTEXT_MAX_LIST = 50
CONTEXT_MAX_STRING = 1024
CONTEXT_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# Numbers beyond this lose precision in JavaScript clients (I-JSON, RFC 7493), integers or not.
MAX_SAFE_INTEGER = 2**53 - 1
PLACEMENT_KEY_LENGTH = 64
PLACEMENT_KEY = RegexValidator(r"\A[-a-zA-Z0-9_]+\Z", "A placement key is a slug.")

_SCALAR_SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "maxLength": CONTEXT_MAX_STRING, "nullable": True},
    {"type": "number", "minimum": -MAX_SAFE_INTEGER, "maximum": MAX_SAFE_INTEGER},
    {"type": "boolean"},
]
ATTRIBUTE_VALUE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        *_SCALAR_SCHEMAS,
        {"type": "array", "maxItems": CONTEXT_MAX_LIST, "items": {"anyOf": _SCALAR_SCHEMAS}},
    ]
}
_CONTEXT_DESCRIPTION = (
    f"Contextual attributes (`context.*`): sent with each request, never stored. At most "
    f"{CONTEXT_MAX_KEYS} keys, each matching `{CONTEXT_KEY.pattern}`; each value a string of at "
    f"most {CONTEXT_MAX_STRING} characters, a number within ±(2^53 - 1), a boolean, null, or a "
    f"list of at most {CONTEXT_MAX_LIST} of those."
)
CONTEXT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "maxProperties": CONTEXT_MAX_KEYS,
    "additionalProperties": ATTRIBUTE_VALUE_SCHEMA,
    "description": _CONTEXT_DESCRIPTION,
}
OFREP_CONTEXT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "targetingKey": {
            "type": "string",
            "nullable": True,
            "description": "Ignored: Tactful knows visitors by their subject token.",
        }
    },
    "additionalProperties": ATTRIBUTE_VALUE_SCHEMA,
    # The attributes are counted without targetingKey.
    "anyOf": [
        {"maxProperties": CONTEXT_MAX_KEYS},
        {"required": ["targetingKey"], "maxProperties": CONTEXT_MAX_KEYS + 1},
    ],
    "description": "The OpenFeature evaluation context. " + _CONTEXT_DESCRIPTION,
}


def context_problems(context: Any) -> list[str]:
    """Why a request context is unacceptable: flat keys, scalar or list-of-scalar values."""
    if not isinstance(context, dict):
        return ["context must be a JSON object"]
    if len(context) > CONTEXT_MAX_KEYS:
        return [f"context has more than {CONTEXT_MAX_KEYS} keys"]
    problems = []
    for key, value in context.items():
        if not CONTEXT_KEY.fullmatch(key):
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
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        # NaN and the infinities compare false.
        return abs(value) <= MAX_SAFE_INTEGER
    return False


@extend_schema_field(CONTEXT_SCHEMA)
class ContextField(serializers.DictField):
    """Contextual attributes (`context.*`): sent with each request, never stored."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        problems = context_problems(data)
        if problems:
            raise serializers.ValidationError(problems)
        return dict(data)


@extend_schema_field(OFREP_CONTEXT_SCHEMA)
class OfrepContextField(serializers.DictField):
    """The OFREP evaluation context (the OFREP views check it themselves, in OFREP's shape)."""


class PlacementKeyField(StrictCharField):
    """The key of a placement of the published revision; others are an `unknown_placement`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=PLACEMENT_KEY_LENGTH, validators=[PLACEMENT_KEY], **kwargs)


class PlacementKeyFieldSchema(RegistryFieldSchema):
    """Placement keys as an enum of the revision this process decides from."""

    target_class = PlacementKeyField

    def registry_schema(self) -> dict[str, Any] | None:
        keys = sorted(snapshot_current().placements)
        # An empty snapshot may be one that could not be loaded: then only the keys' shape.
        return {"type": "string", "enum": keys} if keys else None


MAX_PLACEMENTS = 100
_PLACEMENT_KEY = re.compile(rf"[-a-zA-Z0-9_]{{1,{PLACEMENT_KEY_LENGTH}}}")


class DecideRequestSerializer(serializers.Serializer[Any]):
    placements = serializers.ListField(
        child=PlacementKeyField(),
        required=False,
        max_length=MAX_PLACEMENTS,
        help_text="Placement keys to decide; all placements when omitted.",
    )
    # DRF moves declared fields off the class, so `context` does not shadow Serializer.context.
    context = ContextField(required=False, default=dict)  # type: ignore[assignment]


def decide_request_valid(data: Any) -> dict[str, Any]:
    """The validated body of a decide request, as `DecideRequestSerializer` would give it.

    DRF validates field by field on deep copies of the declared fields, made for every request:
    about 100 µs of CPU, a third of what the decide endpoint did besides deciding
    (benchmarks/README.md). A valid body, nearly every one, is recognised here directly;
    anything else goes through the serializer, which raises its exact errors.
    """
    if isinstance(data, dict):
        placements = data.get("placements")
        context = data.get("context", {})
        placements_ok = ("placements" not in data) or (
            isinstance(placements, list)
            and len(placements) <= MAX_PLACEMENTS
            and all(type(p) is str and _PLACEMENT_KEY.fullmatch(p) for p in placements)
        )
        if placements_ok and isinstance(context, dict) and not context_problems(context):
            valid: dict[str, Any] = {"context": context}
            if placements is not None:
                valid["placements"] = placements
            return valid
    serializer = DecideRequestSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


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
    context = OfrepContextField(required=False)  # type: ignore[assignment]


class OfrepSuccessSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    value = serializers.JSONField()
    reason = serializers.ChoiceField(
        choices=["TARGETING_MATCH", "SPLIT", "DEFAULT", "DISABLED", "ERROR"],
        help_text="OpenFeature's reason; Tactful's own (CONSENT_REQUIRED) is in metadata.",
    )
    variant = serializers.CharField()
    metadata = serializers.DictField()


class OfrepBulkSerializer(serializers.Serializer[Any]):
    flags = OfrepSuccessSerializer(many=True)


class OfrepBulkFailureSerializer(serializers.Serializer[Any]):
    errorCode = serializers.ChoiceField(
        choices=["PARSE_ERROR", "INVALID_CONTEXT", "FLAG_NOT_FOUND"]
    )
    errorDetails = serializers.CharField()


class OfrepFailureSerializer(OfrepBulkFailureSerializer):
    key = serializers.CharField()
