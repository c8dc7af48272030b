"""Consent errors: each maps to the project's one API error shape through `DomainError`."""

from config.api import DomainError


class ConsentError(DomainError):
    """Base of every consent error."""

    code = "consent_error"


class UnknownPurpose(ConsentError):
    """A consent choice names purposes that are not in the registry."""

    code = "unknown_purpose"


class AlwaysOnPurpose(ConsentError):
    """A consent choice tries to refuse a purpose that cannot be turned off (`necessary`)."""

    code = "purpose_always_on"


class ConsentEventImmutable(ConsentError):
    """Something tried to edit or delete a consent event, which is append-only proof."""

    code = "consent_event_immutable"
