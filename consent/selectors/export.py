"""Everything held about a subject as one JSON document (GDPR Art. 15 and 20)."""

import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from consent.models import ConsentEvent, Subject
from consent.selectors.history import consent_events_for
from consent.selectors.preferences import preferences_stored
from consent.selectors.state import consent_resolve
from consent.signals import subject_data_export

logger = logging.getLogger(__name__)

EXPORT_SCHEMA = "tactful.subject-export/1"
# Sections consent writes itself; a receiver cannot replace them.
_OWN_SECTIONS = frozenset(
    {"schema", "generated_at", "subject", "consent", "consent_events", "preferences", "unavailable"}
)


def receiver_name(receiver: Callable[..., Any]) -> str:
    return f"{getattr(receiver, '__module__', '?')}.{getattr(receiver, '__qualname__', receiver)}"


def _event(event: ConsentEvent) -> dict[str, Any]:
    notice = event.notice
    return {
        "sequence": event.sequence,
        "at": event.created_at.isoformat(),
        "purpose": event.purpose.key,
        "kind": event.kind,
        "granted": event.granted,
        "source": event.source,
        "control": event.control,
        "raw_signal": event.raw_signal or None,
        "signal": event.signal_data or None,
        "notice": {"version": notice.version, "content_hash": notice.content_hash}
        if notice is not None
        else None,
        "hash": event.hash,
    }


def export_sections(*, subject_id: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The sections other apps hold about a subject, and the receivers that failed to answer."""
    sections: dict[str, Any] = {}
    unavailable = []
    for receiver, result in subject_data_export.send_robust(sender=Subject, subject_id=subject_id):
        name = receiver_name(receiver)
        if isinstance(result, Exception) or not isinstance(result, dict):
            logger.warning("%s failed to export a subject's data.", name, exc_info=True)
            unavailable.append(
                {"source": name, "message": "This part of your data could not be read just now."}
            )
            continue
        sections.update({k: v for k, v in result.items() if k not in _OWN_SECTIONS})
    return sections, unavailable


def subject_export(*, subject: Subject) -> dict[str, Any]:
    """The export document; sections held by other apps come from `subject_data_export`.

    A receiver that fails is listed under `unavailable` instead of failing the export.
    """
    snapshot = consent_resolve(subject_id=subject.public_id, version=subject.consent_version)
    document: dict[str, Any] = {
        "schema": EXPORT_SCHEMA,
        "generated_at": timezone.now().isoformat(),
        "subject": {
            "id": subject.public_id,
            "created_at": subject.created_at.isoformat(),
            "gpc_at": subject.gpc_at.isoformat() if subject.gpc_at else None,
            "account_linked": subject.user_id is not None,
        },
        "consent": {
            "purposes": snapshot.purposes,
            "basis": snapshot.basis,
            "notice": snapshot.notice,
        },
        "consent_events": [_event(e) for e in consent_events_for(subject_id=subject.public_id)],
        "preferences": preferences_stored(subject=subject),
        "signals": {},
        "recent_decisions": [],
        "unavailable": [],
    }
    sections, unavailable = export_sections(subject_id=subject.public_id)
    document.update(sections)
    document["unavailable"] = unavailable
    return document
