"""Consent history reads: a subject's events, its consent at any moment, and its hash chain."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db.models import QuerySet

from consent.chain import ChainReport, chain_verify
from consent.models import ADVERTISING, OWN_SOURCES, ConsentEvent, NoticeVersion, Purpose, Subject
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


def _report(subject_id: str, events: list[ConsentEvent]) -> ChainReport:
    report = chain_verify(subject_id=subject_id, events=events)
    if not report.ok:
        return report
    for event in events:
        notice = event.notice
        if notice is not None and notice.content_digest() != notice.content_hash:
            return ChainReport(
                subject_id,
                report.length,
                event.sequence,
                f"the text of notice v{notice.version} was changed after it was published",
            )
    return report


def subject_chain_verify(*, subject: Subject) -> ChainReport:
    """Recompute a subject's chain, and the hashes of the notices it names."""
    return _report(subject.public_id, list(consent_events_for(subject_id=subject.public_id)))


def chains_verify_all() -> Iterator[ChainReport]:
    """Every subject's chain, verified one subject at a time."""
    events = (
        ConsentEvent.objects.select_related("purpose", "notice", "subject")
        .order_by("subject_id", "sequence", "pk")
        .iterator(chunk_size=2000)
    )
    for _, chain in groupby(events, key=lambda event: event.subject_id):
        chain_events = list(chain)
        yield _report(chain_events[0].subject.public_id, chain_events)


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
