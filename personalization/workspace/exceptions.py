"""Errors of the workspace: each says, in words a marketer can act on, why nothing happened."""

from rest_framework import status

from personalization.exceptions import PersonalizationError


class WorkspaceError(PersonalizationError):
    code = "workspace"


class NotAllowed(WorkspaceError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "not_allowed"


class Conflict(WorkspaceError):
    """What a change set would publish changed since it was made."""

    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class Unresolvable(WorkspaceError):
    """Publishing these entries alone would leave the configuration pointing at nothing."""

    code = "unresolvable"
