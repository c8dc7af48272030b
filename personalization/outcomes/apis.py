"""The reports API, for staff only: GET /api/v1/reports/experiments/{key} and …/placements/{key}.

A staff member's admin session with the permission to view goals, or a report API key made in
the admin (`Authorization: Bearer tfr_…`); anyone else gets 401 (no credentials) or 403.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import ERROR_SCHEMA
from personalization.models import Experiment, Placement
from personalization.outcomes.examples import EXPERIMENT_REPORT_EXAMPLES, PLACEMENT_REPORT_EXAMPLES
from personalization.outcomes.models import ReportApiKey
from personalization.outcomes.permissions import CanReadReports
from personalization.outcomes.reports import Report, experiment_report, placement_report
from personalization.outcomes.selectors import report_key_find
from personalization.outcomes.serializers import ReportSerializer
from personalization.outcomes.services import outcomes_refresh, report_key_used

KEYWORD = b"bearer"


class ReportKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <report API key>`; an unknown or revoked key is a 401."""

    def authenticate(self, request: Request) -> tuple[Any, ReportApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send 'Authorization: Bearer <key>'.")
        key = report_key_find(raw=parts[1].decode("latin-1"))
        if key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked report key.")
        report_key_used(key=key)
        return None, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="reports"'


class ReportKeyScheme(OpenApiAuthenticationExtension):
    target_class = ReportKeyAuthentication
    name = "reportKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A report API key."}


_RESPONSES = {
    200: ReportSerializer,
    401: OpenApiResponse(ERROR_SCHEMA, description="No credentials, or an unknown key."),
    403: OpenApiResponse(ERROR_SCHEMA, description="Signed in without the permission."),
    404: OpenApiResponse(ERROR_SCHEMA, description="No such experiment or placement."),
}


class ReportApi(APIView):
    authentication_classes = [ReportKeyAuthentication, SessionAuthentication]
    permission_classes = [CanReadReports]

    def answer(self, report_for: Any) -> Response:
        current = outcomes_refresh()
        report: Report = report_for()
        return Response(ReportSerializer(report, context={"current": current}).data)


class ExperimentReportApi(ReportApi):
    @extend_schema(
        operation_id="report_experiment",
        responses=_RESPONSES,
        examples=EXPERIMENT_REPORT_EXAMPLES,
        summary="An experiment's results per goal and arm (staff only)",
        description="The first arm is the control. Groups under k visitors show no figures.",
    )
    def get(self, request: Request, key: str) -> Response:
        experiment = Experiment.objects.filter(key=key).first()
        if experiment is None:
            raise exceptions.NotFound(f"No experiment {key!r}.")
        return self.answer(lambda: experiment_report(experiment=experiment))


class PlacementReportApi(ReportApi):
    @extend_schema(
        operation_id="report_placement",
        responses=_RESPONSES,
        examples=PLACEMENT_REPORT_EXAMPLES,
        summary="A placement's personalized visitors against its holdout (staff only)",
        description="Overall and per rule; the holdout is the control. Groups under k visitors "
        "show no figures.",
    )
    def get(self, request: Request, key: str) -> Response:
        placement = Placement.objects.filter(key=key).first()
        if placement is None:
            raise exceptions.NotFound(f"No placement {key!r}.")
        return self.answer(lambda: placement_report(placement=placement))
