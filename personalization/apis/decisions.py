"""The native decision API: POST /api/v1/decide."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import BODY_ERRORS, ERROR_SCHEMA
from consent.services import consent_for_request
from personalization.apis.base import PublicApi
from personalization.apis.examples import DECIDE_EXAMPLES
from personalization.serializers import (
    DecideRequestSerializer,
    DecideResponseSerializer,
    decide_request_valid,
)
from personalization.serving import decisions_serve


class DecideApi(PublicApi):
    @extend_schema(
        operation_id="decide",
        examples=DECIDE_EXAMPLES,
        request=DecideRequestSerializer,
        responses={
            200: DecideResponseSerializer,
            400: OpenApiResponse(
                ERROR_SCHEMA,
                description="Malformed body (invalid, parse_error), or a placement that the "
                "published revision does not have (unknown_placement).",
            ),
            **BODY_ERRORS,
        },
        summary="Decide placements for the current visitor",
    )
    def post(self, request: Request) -> Response:
        valid = decide_request_valid(request.data)
        result = decisions_serve(
            consent=consent_for_request(request),
            context=valid["context"],
            placements=valid.get("placements"),
        )
        return Response(
            {
                "revision": result.revision,
                "decisions": {key: d.as_dict() for key, d in result.decisions.items()},
                "consent": result.consent.purposes,
            }
        )
