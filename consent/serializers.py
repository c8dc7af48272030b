"""Consent API serializers: strict input (booleans only) and the documented output shapes."""

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import Direction, extend_schema_field
from rest_framework import serializers

from config.api import RegistryFieldSchema, StrictCharField, StrictIntegerField
from consent.gpp import MAX_LENGTH as GPP_MAX_LENGTH
from consent.models import Source
from consent.selectors import notices_published, preference_specs, purpose_list
from consent.tcf import MAX_LENGTH

# A custom OpenAPI format: a string that `consent.tcf.tc_string_decode` decodes.
TC_STRING_FORMAT = "iab-tcf-v2-tc-string"
# Likewise a string that `consent.gpp.gpp_string_decode` decodes.
GPP_STRING_FORMAT = "iab-gpp-string"
GPP_SECTION_IDS = 32
PREFERENCE_MAX_VALUES = 50
PREFERENCE_VALUE_LENGTH = 50


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean and nothing else: "yes", 1 or "true" are not a consent choice."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class PurposesField(serializers.DictField):
    """Purpose key → granted, for at least one purpose of the registry."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=StrictBooleanField(), allow_empty=False, **kwargs)


class PurposesFieldSchema(RegistryFieldSchema):
    """The purposes of the registry; always-on ones only as true."""

    target_class = PurposesField

    def registry_schema(self) -> dict[str, Any]:
        properties = {
            purpose.key: {"type": "boolean", "description": purpose.name}
            | ({"enum": [True]} if purpose.always_on else {})
            for purpose in purpose_list()
        }
        return {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
            "minProperties": 1,
        }


@extend_schema_field(
    {"type": "string", "format": TC_STRING_FORMAT, "minLength": 1, "maxLength": MAX_LENGTH}
)
class TcStringField(StrictCharField):
    """An IAB TCF v2 TC string: whether it decodes is the format's business, not a pattern's."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_LENGTH, **kwargs)


@extend_schema_field(
    {"type": "string", "format": GPP_STRING_FORMAT, "minLength": 1, "maxLength": GPP_MAX_LENGTH}
)
class GppStringField(StrictCharField):
    """An IAB GPP string: whether it decodes is the format's business, not a pattern's."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=GPP_MAX_LENGTH, **kwargs)


class NoticeVersionField(StrictIntegerField):
    """The version of a published notice."""

    def __init__(self, **kwargs: Any) -> None:
        # The largest version the database can hold; a bigger one is a 400, not a 500.
        super().__init__(min_value=1, max_value=2_147_483_647, **kwargs)


class NoticeVersionFieldSchema(RegistryFieldSchema):
    """The published notice versions."""

    target_class = NoticeVersionField

    def registry_schema(self) -> dict[str, Any]:
        versions = sorted(notices_published().values_list("version", flat=True))
        # With no notice published, no version is acceptable.
        return {"type": "integer", "enum": versions} if versions else {"not": {}}


class ConsentUpdateSerializer(serializers.Serializer[Any]):
    purposes = PurposesField(
        required=False,
        help_text="Purpose key → granted. Purposes left out keep their current state.",
    )
    tc_string = TcStringField(
        required=False,
        help_text="An IAB TCF v2 TC string from the host's CMP, stored verbatim. The visitor's "
        "own choices in Tactful take precedence over it.",
    )
    gpp_string = GppStringField(
        required=False,
        help_text="An IAB GPP string from the host's CMP, stored verbatim. Its US sections "
        "(usnat, usca, usva, usco, usct, uspv1) refuse advertising on an opt-out or GPC, grant "
        "it when no opt-out was made; the visitor's own choices take precedence over it.",
    )
    gpp_sid = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=63),
        required=False,
        min_length=1,
        max_length=GPP_SECTION_IDS,
        help_text="The GPP sections that apply to this visitor (the CMP's applicableSections); "
        "default: every section of the string Tactful reads.",
    )
    notice_version = NoticeVersionField(
        required=False,
        help_text="The notice version shown to the visitor; default: the one in force.",
    )
    # `source` and `label` are also attributes of DRF's Field: the stubs see a clash, DRF does not.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=[Source.API.value, Source.BANNER.value],
        default=Source.API.value,
        help_text="Where the choice was made: a banner of the host page, or another client.",
    )
    control = StrictCharField(
        required=False,
        validators=[RegexValidator(r"\A[a-z0-9-]{1,50}\Z")],
        help_text='Which control was used, e.g. "accept-all", "reject-all", "toggle".',
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not {"purposes", "tc_string", "gpp_string"} & set(attrs):
            raise serializers.ValidationError({"purposes": "This field is required."})
        if "gpp_sid" in attrs and "gpp_string" not in attrs:
            raise serializers.ValidationError({"gpp_sid": "Only with a gpp_string."})
        return attrs


class ConsentUpdateSchema(OpenApiSerializerExtension):
    """Says what `ConsentUpdateSerializer.validate` checks: purposes, a TC or GPP string."""

    target_class = ConsentUpdateSerializer

    def map_serializer(self, auto_schema: Any, direction: Direction) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return schema | {
            "anyOf": [
                {"required": ["purposes"]},
                {"required": ["tc_string"]},
                {"required": ["gpp_string"]},
            ],
            # gpp_sid only with gpp_string (OpenAPI 3.0 has no dependentRequired).
            "not": {"allOf": [{"required": ["gpp_sid"]}, {"not": {"required": ["gpp_string"]}}]},
        }


class ConsentStateSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField(
        source="subject_id", allow_null=True, help_text="The subject's public id; null if none."
    )
    purposes = serializers.DictField(
        child=serializers.BooleanField(), help_text="Every purpose key → granted now."
    )
    gpc = serializers.BooleanField(help_text="A Global Privacy Control signal is honoured.")
    basis = serializers.DictField(
        child=serializers.CharField(),
        help_text="Purpose key → what decided it: always_on, gpc, choice, tcf, gpp, expired, "
        "reconsent or default (see the precedence in README).",
    )
    ask = serializers.ListField(
        child=serializers.CharField(),
        help_text="Purposes to ask about: never chosen, lapsed, or asked again by a new notice.",
    )
    notice = serializers.IntegerField(
        allow_null=True, help_text="The notice version in force (null if none is published)."
    )


class ConsentUpdatedSerializer(ConsentStateSerializer):
    token = serializers.CharField(
        help_text="The signed subject token: send it as the X-Tactful-Subject header."
    )
    consent_token = serializers.CharField(
        allow_null=True,
        help_text="A consent token for edges (minutes; renew at GET /api/v1/consent/token), "
        "also in the X-Tactful-Consent header; null when this server issues none.",
    )


class PreferencesField(serializers.DictField):
    """Preference key → chosen values, from the preference registry."""

    def __init__(self, **kwargs: Any) -> None:
        values = serializers.ListField(
            child=StrictCharField(max_length=PREFERENCE_VALUE_LENGTH),
            max_length=PREFERENCE_MAX_VALUES,
        )
        super().__init__(child=values, **kwargs)


class PreferencesFieldSchema(RegistryFieldSchema):
    """The registry's keys and values; one value (any number of times) for a single key."""

    target_class = PreferencesField

    def registry_schema(self) -> dict[str, Any]:
        properties = {}
        for key, spec in preference_specs().items():
            values = [value for value, _ in spec.options]
            schema: dict[str, Any] = {
                "type": "array",
                "maxItems": PREFERENCE_MAX_VALUES,
                "description": spec.label,
            }
            if not values:
                schema["maxItems"] = 0
            elif spec.multiple:
                schema["items"] = {"type": "string", "enum": values}
            else:
                # The same value any number of times is still one choice.
                schema["anyOf"] = [{"items": {"type": "string", "enum": [v]}} for v in values]
            properties[key] = schema
        return {"type": "object", "properties": properties, "additionalProperties": False}


class PreferencesUpdateSerializer(serializers.Serializer[Any]):
    preferences = PreferencesField(
        help_text='Key → chosen values, e.g. {"interests": ["outdoor"]}; [] clears a key; '
        "keys left out keep their values.",
    )


class PreferenceValueSerializer(serializers.Serializer[Any]):
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class PreferenceSpecSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()
    multiple = serializers.BooleanField()
    values = PreferenceValueSerializer(many=True)


class PreferencesSerializer(serializers.Serializer[Any]):
    preferences = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="What the visitor chose.",
    )
    available = serializers.DictField(
        child=PreferenceSpecSerializer(), help_text="Every preference key and its allowed values."
    )


class ExportNoticeSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    content_hash = serializers.CharField(help_text="SHA-256 of the notice text as published.")


class ExportEventSerializer(serializers.Serializer[Any]):
    sequence = serializers.IntegerField(help_text="Position in the subject's hash chain.")
    at = serializers.DateTimeField()
    purpose = serializers.CharField()
    kind = serializers.ChoiceField(choices=["grant", "refuse", "withdraw", "expire", "signal"])
    granted = serializers.BooleanField()
    source = serializers.ChoiceField(choices=Source.values)  # type: ignore[assignment]
    control = serializers.CharField()
    raw_signal = serializers.CharField(
        allow_null=True, help_text="Sec-GPC, a TC string or a GPP string."
    )
    signal = serializers.JSONField(allow_null=True, help_text="The TC or GPP string decoded.")
    notice = ExportNoticeSerializer(allow_null=True)
    hash = serializers.CharField()


class ExportSubjectSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    created_at = serializers.DateTimeField()
    gpc_at = serializers.DateTimeField(allow_null=True)
    account_linked = serializers.BooleanField()


class ExportConsentSerializer(serializers.Serializer[Any]):
    purposes = serializers.DictField(child=serializers.BooleanField())
    basis = serializers.DictField(child=serializers.CharField())
    notice = serializers.IntegerField(allow_null=True)


class ExportUnavailableSerializer(serializers.Serializer[Any]):
    source = serializers.CharField()  # type: ignore[assignment]
    message = serializers.CharField()


class SubjectExportSerializer(serializers.Serializer[Any]):
    """The export document, schema `tactful.subject-export/1`."""

    schema = serializers.CharField(help_text='"tactful.subject-export/1".')
    generated_at = serializers.DateTimeField()
    subject = ExportSubjectSerializer()
    consent = ExportConsentSerializer()
    consent_events = ExportEventSerializer(many=True)
    preferences = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    signals = serializers.JSONField(help_text="Live behavioural signal windows.")
    recent_decisions = serializers.ListField(
        child=serializers.JSONField(), help_text="Recent personalized decisions, newest first."
    )
    exposure_marks = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        help_text="Live measurement marks: what was shown (placement, experiment arm, rule or "
        "holdout), when, at which revision, and the visitor's running total per goal.",
    )
    unavailable = ExportUnavailableSerializer(
        many=True, help_text="Parts that could not be read just now."
    )


class ErasureReceiptSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField()
    at = serializers.DateTimeField()
    complete = serializers.BooleanField()
    erased = serializers.DictField(child=serializers.IntegerField(), help_text="Section → count.")
    kept = serializers.DictField(
        child=serializers.IntegerField(), help_text="Consent proof kept by the operator's policy."
    )
    failed = serializers.ListField(child=serializers.CharField())
