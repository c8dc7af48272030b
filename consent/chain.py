"""The per-subject hash chain of consent events: how an event is hashed and a chain verified.

Each event's hash covers its own content, the hash of the notice it was under and the hash of
the subject's previous event, so an edited, removed, inserted or reordered event is evident.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson


class ChainedEvent(Protocol):
    """What a chain is verified from: a consent event with its purpose and notice loaded."""

    sequence: int
    created_at: datetime
    kind: str
    granted: bool
    source: str
    control: str
    raw_signal: str
    signal_data: Any
    prev_hash: str
    hash: str

    @property
    def purpose_key(self) -> str: ...

    @property
    def notice_hash(self) -> str: ...


def event_digest(
    *,
    subject_id: str,
    sequence: int,
    created_at: datetime,
    kind: str,
    purpose: str,
    granted: bool,
    source: str,
    control: str,
    raw_signal: str,
    signal_data: Mapping[str, Any],
    notice_hash: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of an event's canonical JSON; `prev_hash` is "" for the first event."""
    content = {
        "subject": subject_id,
        "sequence": sequence,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "kind": str(kind),
        "purpose": purpose,
        "granted": granted,
        "source": str(source),
        "control": control,
        "raw_signal": raw_signal,
        "signal_data": dict(signal_data),
        "notice": notice_hash,
        "prev": prev_hash,
    }
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of verifying one subject's chain."""

    subject_id: str
    length: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def chain_verify(*, subject_id: str, events: Iterable[ChainedEvent]) -> ChainReport:
    """Recompute a subject's chain, events in sequence order, and report the first break."""
    prev_hash = ""
    length = 0
    for expected, event in enumerate(events, start=1):
        length = expected
        if event.sequence != expected:
            return ChainReport(
                subject_id, expected, expected, f"event #{expected} is missing or out of order"
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                subject_id, expected, expected, f"event #{expected} does not follow the previous"
            )
        digest = event_digest(
            subject_id=subject_id,
            sequence=event.sequence,
            created_at=event.created_at,
            kind=event.kind,
            purpose=event.purpose_key,
            granted=event.granted,
            source=event.source,
            control=event.control,
            raw_signal=event.raw_signal,
            signal_data=event.signal_data or {},
            notice_hash=event.notice_hash,
            prev_hash=event.prev_hash,
        )
        if digest != event.hash:
            return ChainReport(
                subject_id,
                expected,
                expected,
                f"event #{expected} was changed after it was written",
            )
        prev_hash = event.hash
    return ChainReport(subject_id, length)
