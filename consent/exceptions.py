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


class NoticeImmutable(ConsentError):
    """Something tried to edit or delete a published notice version."""

    code = "notice_immutable"


class UnknownNotice(ConsentError):
    """A consent choice names a notice version that is not published."""

    code = "unknown_notice"


class InvalidTcString(ConsentError):
    """A TC string that cannot be decoded as IAB TCF v2."""

    code = "invalid_tc_string"


class SensitiveData(ConsentError):
    """Something touches a sensitive category (GDPR Art. 9) that personalization never uses."""

    code = "sensitive_data"


class UnknownPreference(ConsentError):
    """A preference key or value that is not in the registry."""

    code = "unknown_preference"


class ConsentRequired(ConsentError):
    """The change needs a purpose the subject has not granted (preferences: personalization)."""

    code = "consent_required"
    status_code = 409


class NoSubject(ConsentError):
    """The request carries no valid subject token, so there is nobody to act on."""

    code = "no_subject"
    status_code = 404


class InvalidGppString(ConsentError):
    """A GPP string that cannot be decoded (header, or a section Tactful reads)."""

    code = "invalid_gpp_string"
