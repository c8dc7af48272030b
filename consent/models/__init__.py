"""Consent models: purposes, subjects, notices, the event log and its projection, preferences."""

from consent.models.events import (
    CMP_SOURCES,
    OWN_SOURCES,
    ConsentEvent,
    ConsentState,
    Source,
)
from consent.models.notices import NoticeTranslation, NoticeVersion
from consent.models.preferences import PreferenceKey, PreferenceOption, SubjectPreferences
from consent.models.purposes import (
    ADVERTISING,
    CONSENT_MODE_TYPES,
    NECESSARY,
    PERSONALIZATION,
    TCF_PURPOSE_IDS,
    Purpose,
)
from consent.models.subjects import Subject, SubjectChange, public_id_new

__all__ = [
    "ADVERTISING",
    "CMP_SOURCES",
    "CONSENT_MODE_TYPES",
    "NECESSARY",
    "OWN_SOURCES",
    "PERSONALIZATION",
    "TCF_PURPOSE_IDS",
    "ConsentEvent",
    "ConsentState",
    "NoticeTranslation",
    "NoticeVersion",
    "PreferenceKey",
    "PreferenceOption",
    "Purpose",
    "Source",
    "Subject",
    "SubjectChange",
    "SubjectPreferences",
    "public_id_new",
]
