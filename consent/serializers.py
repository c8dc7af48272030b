"""Consent API serializers: strict input (booleans only) and the documented output shapes."""

from typing import Any

from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean and nothing else: "yes", 1 or "true" are not a consent choice."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class ConsentUpdateSerializer(serializers.Serializer[Any]):
    purposes = serializers.DictField(
        child=StrictBooleanField(),
        allow_empty=False,
        help_text="Purpose key → granted. Purposes left out keep their current state.",
    )


class ConsentStateSerializer(serializers.Serializer[Any]):
    subject = serializers.CharField(
        source="subject_id", allow_null=True, help_text="The subject's public id; null if none."
    )
    purposes = serializers.DictField(
        child=serializers.BooleanField(), help_text="Every purpose key → granted now."
    )
    gpc = serializers.BooleanField(help_text="A Global Privacy Control signal is honoured.")


class ConsentUpdatedSerializer(ConsentStateSerializer):
    token = serializers.CharField(
        help_text="The signed subject token: send it as the X-Tactful-Subject header."
    )
