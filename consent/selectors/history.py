"""Consent history reads: a subject's events, its consent at any moment, and its verification."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db.models import QuerySet

from consent.chain import ChainHead, ChainReport, chain_verify
from consent.models import (
    ADVERTISING,
    OWN_SOURCES,
    ConsentEvent,
    ConsentState,
    NoticeVersion,
    Purpose,
    Source,
    Subject,
)
from consent.precedence import (
    GPC_RECONSENT_CONTROL,
    Basis,
    Choice,
    event_replaces_state,
    purpose_state,
)
from consent.selectors.state import ConsentSnapshot, NoticeEntry, Registry


def consent_events_for(*, subject_id: str) -> QuerySet[ConsentEvent]:
    """A subject's consent history, oldest first, with the notice each event was under."""
    return (
        ConsentEvent.objects.filter(subject__public_id=subject_id)
        .select_related("purpose", "notice")
        .order_by("sequence", "pk")
    )


def events_replay(events: Iterable[ConsentEvent]) -> dict[int, ConsentEvent]:
    """The event that decides each purpose (by purpose id) after `events`, in chain order."""
    deciding: dict[int, ConsentEvent] = {}
    for event in events:
        current = deciding.get(event.purpose_id)
        if event_replaces_state(
            state_source=current.source if current else None, event_source=event.source
        ):
            deciding[event.purpose_id] = event
    return deciding


def grant_expiry(at: datetime) -> datetime:
    return at + timedelta(days=settings.TACTFUL["CONSENT_GRANT_DAYS"])


def event_choice(event: ConsentEvent) -> Choice:
    return Choice(
        granted=event.granted,
        source=event.source,
        at=event.created_at.timestamp(),
        expires=grant_expiry(event.created_at).timestamp() if event.granted else None,
        over_gpc=event.control == GPC_RECONSENT_CONTROL,
    )


@dataclass(frozen=True, slots=True)
class PurposeAt:
    """One purpose's consent at a past moment, with the event and notice that decided it."""

    purpose: Purpose
    granted: bool
    basis: str
    event: ConsentEvent | None

    @property
    def notice(self) -> NoticeVersion | None:
        return self.event.notice if self.event is not None else None


def consent_at(*, subject: Subject, at: datetime) -> list[PurposeAt]:
    """What `subject` had consented to at `at`, replayed from its events (for the admin)."""
    events = list(consent_events_for(subject_id=subject.public_id).filter(created_at__lte=at))
    deciding = events_replay(events)
    gpc = any(event.source == ConsentEvent.Source.GPC for event in events)
    notices = NoticeVersion.objects.filter(published_at__lte=at).order_by("version")
    registry = Registry(
        purposes=(),
        notices=tuple(
            NoticeEntry(
                version=n.version,
                effective=(n.effective_at or n.published_at or at).timestamp(),
                content_hash=n.content_hash,
                reconsent=frozenset(n.reconsent_purposes),
            )
            for n in notices
        ),
    )
    moment = at.timestamp()
    rows = []
    for purpose in Purpose.objects.order_by("order", "key"):
        event = deciding.get(purpose.pk)
        granted, basis = purpose_state(
            always_on=purpose.always_on,
            choice=event_choice(event) if event is not None else None,
            gpc=gpc,
            advertising=purpose.key == ADVERTISING,
            reconsent_cutoff=registry.reconsent_cutoff(purpose.key, moment),
            now=moment,
        )
        rows.append(PurposeAt(purpose=purpose, granted=granted, basis=basis, event=event))
    return rows


@dataclass(frozen=True, slots=True)
class _Projected:
    """One purpose's projected choice, as the hot path reads it (`consent_record_load`)."""

    granted: bool
    source: str
    at: datetime
    expires_at: datetime | None
    over_gpc: bool

    def describe(self) -> str:
        state = "granted" if self.granted else "not granted"
        how = " as a re-consent over GPC" if self.over_gpc else ""
        # A tampered row may hold a source Tactful never wrote; it is shown as it is.
        source = Source(self.source).label if self.source in Source.values else self.source
        return f"{state}{how} ({source}, {self.at:%Y-%m-%d %H:%M:%S} UTC)"


def _projected(event: ConsentEvent) -> _Projected:
    return _Projected(
        granted=event.granted,
        source=event.source,
        at=event.created_at,
        expires_at=grant_expiry(event.created_at) if event.granted else None,
        over_gpc=event.control == GPC_RECONSENT_CONTROL,
    )


def _stored(state: ConsentState) -> _Projected:
    return _Projected(
        granted=state.granted,
        source=state.source,
        at=state.updated_at,
        expires_at=state.expires_at,
        over_gpc=state.control == GPC_RECONSENT_CONTROL,
    )


def _state_problem(key: str, stored: _Projected | None, replayed: _Projected | None) -> str:
    if stored is None and replayed is not None:
        return f"the current state of {key} is missing, but its events say {replayed.describe()}"
    if replayed is None and stored is not None:
        return f"the current state of {key} says {stored.describe()}, but no event decides it"
    if stored is None or replayed is None:
        return ""
    if (stored.granted, stored.source, stored.at, stored.over_gpc) != (
        replayed.granted,
        replayed.source,
        replayed.at,
        replayed.over_gpc,
    ):
        return (
            f"the current state of {key} says {stored.describe()}, "
            f"but its events say {replayed.describe()}"
        )
    # An expiry sooner than the replay's is safe (and what a longer grant period leaves behind);
    # a later one, or none, would keep a grant in force longer than its event allows.
    if replayed.expires_at is not None and (
        stored.expires_at is None or stored.expires_at > replayed.expires_at
    ):
        until = f"{stored.expires_at:%Y-%m-%d %H:%M:%S} UTC" if stored.expires_at else "ever"
        return (
            f"the grant of {key} is recorded to last until {until}, longer than its event "
            f"allows ({replayed.expires_at:%Y-%m-%d %H:%M:%S} UTC)"
        )
    return ""


def _projection_problems(
    subject: Subject, events: list[ConsentEvent], states: list[ConsentState]
) -> list[str]:
    """Where the stored projection (states, GPC) differs from a replay of the events."""
    problems = []
    gpc_events = [event.created_at for event in events if event.source == Source.GPC]
    replayed_gpc = gpc_events[0] if gpc_events else None
    # Erasure may clear the mark along with the rest of the projection.
    erased_without_mark = subject.erased_at is not None and subject.gpc_at is None
    if subject.gpc_at != replayed_gpc and not erased_without_mark:
        stored = f"at {subject.gpc_at:%Y-%m-%d %H:%M:%S} UTC" if subject.gpc_at else "never"
        replayed = f"at {replayed_gpc:%Y-%m-%d %H:%M:%S} UTC" if replayed_gpc else "never"
        problems.append(
            f"the subject records Global Privacy Control {stored}, but its events record it "
            f"{replayed}"
        )
    stored_states = {state.purpose.key: _stored(state) for state in states}
    if subject.erased_at is not None:
        # Erasure removed the projection; only the events stay, as proof.
        return problems + [
            f"the subject was erased but still has a current state of {key}"
            for key in sorted(stored_states)
        ]
    replayed_states = {
        event.purpose.key: _projected(event) for event in events_replay(events).values()
    }
    for key in sorted(stored_states.keys() | replayed_states.keys()):
        problem = _state_problem(key, stored_states.get(key), replayed_states.get(key))
        if problem:
            problems.append(problem)
    return problems


def _notice_problem(events: list[ConsentEvent], digests: dict[int, str]) -> str:
    for event in events:
        notice = event.notice
        if notice is None:
            continue
        if notice.pk not in digests:
            digests[notice.pk] = notice.content_digest()
        if digests[notice.pk] != notice.content_hash:
            return (
                f"the text of notice v{notice.version} (named by event #{event.sequence}) was "
                "changed after it was published"
            )
    return ""


def _subject_report(
    subject: Subject,
    events: list[ConsentEvent],
    states: list[ConsentState],
    digests: dict[int, str],
) -> ChainReport:
    head = ChainHead(subject.chain_length, subject.chain_head, subject.chain_seal)
    report = chain_verify(subject_id=subject.public_id, events=events, head=head)
    notice = _notice_problem(events, digests)
    problems = (
        *report.problems,
        *([notice] if notice else []),
        *_projection_problems(subject, events, states),
    )
    return replace(report, problems=problems)


def _states() -> QuerySet[ConsentState]:
    return ConsentState.objects.select_related("purpose").order_by("subject_id", "purpose_id")


def subject_chain_verify(*, subject: Subject) -> ChainReport:
    """Verify a subject: its chain against its sealed head, the notices it names, and its
    consent projection (states, GPC) against a replay of its events."""
    # What is stored now, not what the caller's instance remembers.
    subject = Subject.objects.get(pk=subject.pk)
    events = list(consent_events_for(subject_id=subject.public_id))
    states = list(_states().filter(subject=subject))
    return _subject_report(subject, events, states, {})


class _Aligned[Row: (ConsentEvent, ConsentState)]:
    """Rows ordered by subject, taken one subject at a time as subjects are walked in order."""

    def __init__(self, rows: Iterator[Row]) -> None:
        self._groups: Iterator[tuple[int, list[Row]]] = (
            (subject_pk, list(group))
            for subject_pk, group in groupby(rows, key=lambda row: row.subject_id)
        )
        self._next: tuple[int, list[Row]] | None = next(self._groups, None)

    def take(self, subject_pk: int) -> list[Row]:
        # Rows of a subject that does not exist cannot be: the foreign keys protect them.
        while self._next is not None and self._next[0] < subject_pk:
            self._next = next(self._groups, None)
        if self._next is None or self._next[0] != subject_pk:
            return []
        rows = self._next[1]
        self._next = next(self._groups, None)
        return rows


def chains_verify_all() -> Iterator[ChainReport]:
    """Every subject, verified as `subject_chain_verify` does, in one pass of three queries."""
    subjects = Subject.objects.order_by("pk")
    events = _Aligned(
        ConsentEvent.objects.select_related("purpose", "notice")
        .order_by("subject_id", "sequence", "pk")
        .iterator(chunk_size=2000)
    )
    states = _Aligned(_states().iterator(chunk_size=2000))
    digests: dict[int, str] = {}
    for subject in subjects.iterator(chunk_size=2000):
        yield _subject_report(subject, events.take(subject.pk), states.take(subject.pk), digests)


def gpc_conflict(*, subject: Subject, snapshot: ConsentSnapshot) -> bool:
    """GPC keeps advertising off although the visitor's own latest choice was to allow it."""
    if snapshot.basis.get(ADVERTISING) != Basis.GPC:
        return False
    latest_own = (
        subject.consent_events.filter(purpose__key=ADVERTISING, source__in=OWN_SOURCES)
        .order_by("-sequence")
        .first()
    )
    return latest_own is not None and latest_own.granted
