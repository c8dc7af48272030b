"""The per-subject consent chain: how events are hashed and sealed, and how a chain is verified.

Each event's hash covers its own content, the hash of the notice it was under and the hash of
the subject's previous event, so an edited, removed, inserted or reordered event is evident.
Anyone who can write SQL can recompute hashes, though, so each event also carries a seal (an
HMAC of its hash) and each subject a sealed chain head (its length and last hash), under a key
kept outside the database (`TACTFUL_CHAIN_KEY`): a rewritten event re-hashed by SQL fails its
seal, and deleting the last events, or the whole chain, leaves a head that is longer.
"""

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, Protocol

import orjson
from django.conf import settings

# Keys for this one purpose: a leaked seal key says nothing about other uses of the secret.
_KEY_PURPOSE: Final = b"tactful.consent-chain.v1"


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
    seal: str

    @property
    def purpose_key(self) -> str: ...

    @property
    def notice_hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ChainHead:
    """What a subject records of its chain: how long it is, its last hash, and their seal."""

    length: int
    last_hash: str
    seal: str


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


def chained_digest(*, subject_id: str, event: ChainedEvent) -> str:
    """`event_digest` of an event at its place in its subject's chain (`sequence`, `prev_hash`)."""
    return event_digest(
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


@lru_cache(maxsize=8)
def _derived_key(secret: str) -> bytes:
    return hmac.digest(secret.encode(), _KEY_PURPOSE, "sha256")


def chain_keys() -> tuple[bytes, ...]:
    """The sealing key first, then the keys of earlier rotations that still verify."""
    current = settings.TACTFUL["CHAIN_KEY"] or settings.SECRET_KEY
    secrets = (current, *settings.TACTFUL["CHAIN_KEY_FALLBACKS"])
    return tuple(_derived_key(secret) for secret in secrets)


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), "sha256").hexdigest()


def _event_message(event_hash: str) -> str:
    return f"event\n{event_hash}"


def _head_message(subject_id: str, length: int, last_hash: str) -> str:
    return f"head\n{subject_id}\n{length}\n{last_hash}"


def event_seal(*, event_hash: str) -> str:
    """The seal of an event, under the current key."""
    return _mac(chain_keys()[0], _event_message(event_hash))


def head_seal(*, subject_id: str, length: int, last_hash: str) -> str:
    """The seal of a subject's chain head, under the current key."""
    return _mac(chain_keys()[0], _head_message(subject_id, length, last_hash))


def _sealed(seal: str, message: str, keys: Sequence[bytes]) -> bool:
    return any(hmac.compare_digest(_mac(key, message), seal) for key in keys)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of verifying one subject: its chain, its head and its consent projection."""

    subject_id: str
    length: int
    # The first event where the chain itself breaks (None when it holds).
    broken_at: int | None = None
    # Every problem found, in plain words; none when everything holds.
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _event_problem(
    subject_id: str, expected: int, prev_hash: str, event: ChainedEvent, keys: Sequence[bytes]
) -> str:
    if event.sequence != expected:
        return f"event #{expected} is missing or out of order"
    if event.prev_hash != prev_hash:
        return f"event #{expected} does not follow the previous"
    digest = chained_digest(subject_id=subject_id, event=event)
    if digest != event.hash:
        return f"event #{expected} was changed after it was written"
    if not event.seal:
        return f"event #{expected} has no seal: Tactful did not write it"
    if not _sealed(event.seal, _event_message(event.hash), keys):
        return (
            f"event #{expected} was rewritten and its hash recomputed: its seal does not match "
            "(or it was sealed with a key Tactful no longer has)"
        )
    return ""


def _head_problems(
    subject_id: str, events: Sequence[ChainedEvent], head: ChainHead, keys: Sequence[bytes]
) -> list[str]:
    if not head.seal:
        return ["the chain head has no seal: Tactful did not write it"]
    if not _sealed(head.seal, _head_message(subject_id, head.length, head.last_hash), keys):
        return ["the chain head (its length and last hash) was altered: its seal does not match"]
    count = len(events)
    if count < head.length:
        if count == 0:
            return [f"all {head.length} events of the chain were deleted"]
        return [
            f"the chain ends at event #{count} but its head records {head.length} events: "
            f"the last {head.length - count} were deleted"
        ]
    if count > head.length:
        return [f"the chain has {count} events but its head records {head.length}"]
    if count and events[-1].hash != head.last_hash:
        return ["the last event is not the one the chain head records"]
    return []


def chain_verify(
    *, subject_id: str, events: Iterable[ChainedEvent], head: ChainHead
) -> ChainReport:
    """Recompute a subject's chain, events in sequence order, and check it against its head.

    The walk stops at the first break (what follows it cannot be trusted); the head is checked
    whatever the walk found, so a deleted tail is reported even behind a broken event.
    """
    keys = chain_keys()
    chain = list(events)
    prev_hash = ""
    broken_at: int | None = None
    problems: list[str] = []
    for expected, event in enumerate(chain, start=1):
        problem = _event_problem(subject_id, expected, prev_hash, event, keys)
        if problem:
            broken_at = expected
            problems.append(problem)
            break
        prev_hash = event.hash
    problems.extend(_head_problems(subject_id, chain, head, keys))
    return ChainReport(subject_id, len(chain), broken_at, tuple(problems))
