"""Who may read results: staff with the permission to view goals, or a report API key."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from personalization.outcomes.models import ReportApiKey

RESULTS_PERMISSION = "personalization.view_goal"


def results_permitted(user: Any) -> bool:
    """Whether a user may read the Results pages and the reports API with their session."""
    return bool(
        user is not None and user.is_active and user.is_staff and user.has_perm(RESULTS_PERMISSION)
    )


class CanReadReports(BasePermission):
    message = "Reports are for staff with the permission to view goals, or a report API key."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, ReportApiKey) or results_permitted(request.user)
