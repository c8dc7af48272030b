"""Behavioural event ingest: POST /api/v1/events (202; consent-gated; rate-limited)."""

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from consent.selectors import consent_for_request
from personalization import metrics
from personalization.apis.base import ERROR_SCHEMA, PublicApi
from personalization.signals.selectors import signals_allowed
from personalization.signals.services import SignalsUnavailable, signals_record
from personalization.throttling import EventsRateThrottle

MAX_EVENTS = 50


class EventsRequestSerializer(serializers.Serializer[Any]):
    events = serializers.ListField(
        child=serializers.JSONField(),
        max_length=MAX_EVENTS,
        help_text='Up to 50 events: {"type": "product_view", "properties": {"category": '
        '"shoes"}, "ts": <milliseconds since the epoch, optional>}. Types and property keys '
        "come from the admin's event taxonomy; values become lower-case slugs.",
    )


RESPONSE_SCHEMA = inline_serializer(
    "EventsAccepted",
    {
        "accepted": serializers.IntegerField(help_text="Events stored."),
        "dropped": serializers.IntegerField(help_text="Events not stored."),
        "reason": serializers.CharField(
            required=False, help_text="CONSENT_REQUIRED when nothing may be stored."
        ),
        "rejected": serializers.ListField(
            required=False,
            child=inline_serializer(
                "EventRejected",
                {
                    "index": serializers.IntegerField(),
                    "code": serializers.CharField(),
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
        request=EventsRequestSerializer,
        responses={
            202: RESPONSE_SCHEMA,
            400: ERROR_SCHEMA,
            413: ERROR_SCHEMA,
            429: ERROR_SCHEMA,
            503: ERROR_SCHEMA,
        },
        summary="Send behavioural events of the current visitor",
        description="Stored only with `personalization` consent, in short-lived signal windows. "
        "An event of an unknown type, with an unknown property or sensitive data is rejected "
        "with its reason; the others are kept.",
    )
    def post(self, request: Request) -> Response:
        serializer = EventsRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        events = serializer.validated_data["events"]
        consent = consent_for_request(request)
        if consent.subject_id is None or not signals_allowed(consent):
            metrics.events_counted(dropped=len(events), reason="CONSENT_REQUIRED")
            return Response(
                {"accepted": 0, "dropped": len(events), "reason": "CONSENT_REQUIRED"},
                status=status.HTTP_202_ACCEPTED,
            )
        try:
            recorded = signals_record(subject_id=consent.subject_id, events=events)
        except SignalsUnavailable:
            metrics.events_counted(dropped=len(events), reason=SignalsUnavailable.code)
            raise
        metrics.events_counted(accepted=recorded.accepted)
        for rejection in recorded.rejected:
            metrics.events_counted(dropped=1, reason=rejection.code)
        return Response(
            {
                "accepted": recorded.accepted,
                "dropped": len(recorded.rejected),
                "rejected": [rejection.as_dict() for rejection in recorded.rejected],
            },
            status=status.HTTP_202_ACCEPTED,
        )
