"""Behavioural event ingest: POST /api/v1/events (202; consent-gated; rate-limited)."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import BODY_ERRORS, ERROR_SCHEMA
from consent.services import consent_for_request
from personalization import metrics
from personalization.apis.base import PublicApi
from personalization.apis.examples import EVENTS_EXAMPLES
from personalization.outcomes.services import ConversionsRecorded, conversions_record
from personalization.signals.selectors import signals_allowed
from personalization.signals.services import SignalsUnavailable, signals_record
from personalization.signals.taxonomy import MAX_RAW_VALUE
from personalization.throttling import EventsRateThrottle

MAX_EVENTS = 50
REJECTION_CODES = [
    "invalid_event",
    "unknown_type",
    "unknown_property",
    "invalid_value",
    "invalid_timestamp",
    "sensitive_data",
]
EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "An event type of the admin's taxonomy."},
        "properties": {
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "maxLength": MAX_RAW_VALUE},
                    {"type": "number"},
                    {"type": "boolean"},
                ]
            },
            "description": "Property keys of that event type; each value must read as a "
            "lower-case slug (letters, digits, - and _; at most 64), except the type's measures "
            "(e.g. revenue): numbers from 0 to 1e9, counted by goals, never kept in signals.",
        },
        "ts": {
            "type": "number",
            "description": "Milliseconds since the epoch, as Date.now() gives; default: now. "
            "At most a minute ahead, and not older than signals are kept.",
        },
    },
    "required": ["type"],
    "additionalProperties": False,
}


@extend_schema_field(
    {
        "type": "array",
        "maxItems": MAX_EVENTS,
        # Any value is an item: each is judged on its own when stored (never the batch's 400).
        "items": {
            "anyOf": [
                EVENT_SCHEMA,
                {
                    "description": "Anything else, null included: not stored, and named in "
                    "`rejected` with its reason (invalid_event...)."
                },
            ]
        },
    }
)
class EventsField(serializers.ListField):
    """A batch of events, each any JSON value: one that is not a valid event is rejected alone."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.JSONField(allow_null=True), **kwargs)


class EventsRequestSerializer(serializers.Serializer[Any]):
    events = EventsField(
        max_length=MAX_EVENTS,
        help_text=f"Up to {MAX_EVENTS} events. One is stored when its type and property keys "
        "are in the admin's event taxonomy, its values read as slugs, its timestamp is recent and "
        "nothing in it touches a sensitive category; any other item is rejected alone, with its "
        "index and reason, in the 202 answer. Only the batch itself is a 400: no `events`, not a "
        f"list, or more than {MAX_EVENTS} items.",
    )


RESPONSE_SCHEMA = inline_serializer(
    "EventsAccepted",
    {
        "accepted": serializers.IntegerField(help_text="Events stored in signal windows."),
        "dropped": serializers.IntegerField(help_text="Events not stored in signal windows."),
        "conversions": serializers.IntegerField(
            required=False,
            help_text="With measurement granted: events counted as conversions of a goal.",
        ),
        "reason": serializers.ChoiceField(
            choices=["CONSENT_REQUIRED"],
            required=False,
            help_text="CONSENT_REQUIRED when nothing may be stored.",
        ),
        "rejected": serializers.ListField(
            required=False,
            child=inline_serializer(
                "EventRejected",
                {
                    "index": serializers.IntegerField(),
                    "code": serializers.ChoiceField(choices=REJECTION_CODES),
                    "message": serializers.CharField(),
                },
            ),
        ),
    },
)


class EventsApi(PublicApi):
    throttle_classes = [EventsRateThrottle]

    @extend_schema(
        operation_id="events",
        examples=EVENTS_EXAMPLES,
        request=EventsRequestSerializer,
        responses={
            202: RESPONSE_SCHEMA,
            400: ERROR_SCHEMA,
            **BODY_ERRORS,
            429: ERROR_SCHEMA,
            503: ERROR_SCHEMA,
        },
        summary="Send behavioural events of the current visitor",
        description="Stored only with `personalization` consent, in short-lived signal windows; "
        "counted as a goal's conversion only with `measurement` consent. An event of an unknown "
        "type, with an unknown property, a measure that is not a number in range or sensitive "
        "data is rejected with its reason; the others are kept.",
    )
    def post(self, request: Request) -> Response:
        serializer = EventsRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        events = serializer.validated_data["events"]
        consent = consent_for_request(request)
        measured = conversions_record(consent=consent, events=events)
        if consent.subject_id is None or not signals_allowed(consent):
            return _not_stored(events, measured)
        try:
            recorded = signals_record(consent=consent, events=events)
        except SignalsUnavailable:
            metrics.events_counted(dropped=len(events), reason=SignalsUnavailable.code)
            raise
        if recorded.consent_required:
            return _not_stored(events, measured)
        metrics.events_counted(accepted=recorded.accepted)
        for rejection in recorded.rejected:
            metrics.events_counted(dropped=1, reason=rejection.code)
        return Response(
            {
                "accepted": recorded.accepted,
                "dropped": len(recorded.rejected),
                "rejected": [rejection.as_dict() for rejection in recorded.rejected],
                **measured.answer(rejections=False),
            },
            status=status.HTTP_202_ACCEPTED,
        )


def _not_stored(events: list[Any], measured: ConversionsRecorded) -> Response:
    """Nothing stored as signals: `personalization` is not granted (or no longer is)."""
    metrics.events_counted(dropped=len(events), reason="CONSENT_REQUIRED")
    body = {"accepted": 0, "dropped": len(events), "reason": "CONSENT_REQUIRED"}
    return Response({**body, **measured.answer(rejections=True)}, status=status.HTTP_202_ACCEPTED)
