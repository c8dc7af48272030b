"""Retention: remove what is past its retention period, and expire lapsed grants as events."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from consent.models import (
    PERSONALIZATION,
    ConsentEvent,
    ConsentState,
    Purpose,
    Source,
    Subject,
    SubjectChange,
    SubjectPreferences,
)
from consent.selectors import notice_current
from consent.selectors.export import receiver_name
from consent.services.announce import change_queue, changes_react_pending
from consent.services.consent import consent_changed_commit, events_append, subject_lock
from consent.signals import retention_purge as retention_purge_signal

logger = logging.getLogger(__name__)

EXPIRY_CONTROL = "retention"


def consent_proof_days() -> int:
    """How long consent proof is kept after the last event of a subject (or its erasure)."""
    return int(settings.TACTFUL["CONSENT_PROOF_DAYS"])


def grants_expire(*, now: datetime) -> int:
    """Turn every grant past its expiry into an `expire` event; the number of grants expired."""
    expired = 0
    lapsed = ConsentState.objects.filter(granted=True, expires_at__lte=now)
    for subject_pk in lapsed.values_list("subject_id", flat=True).distinct():
        with transaction.atomic():
            subject = subject_lock(Subject(pk=subject_pk))
            states = list(
                subject.consent_states.filter(granted=True, expires_at__lte=now).select_related(
                    "purpose"
                )
            )
            notice = notice_current()
            events = [
                ConsentEvent(
                    created_at=now,
                    kind=ConsentEvent.Kind.EXPIRE,
                    purpose=state.purpose,
                    granted=False,
                    source=Source.SYSTEM,
                    control=EXPIRY_CONTROL,
                    notice=notice,
                )
                for state in states
            ]
            events_append(subject=subject, events=events)
            for state in states:
                state.granted, state.source, state.control = False, Source.SYSTEM, EXPIRY_CONTROL
                state.updated_at, state.expires_at = now, None
                state.save()
            consent_changed_commit(subject=subject, events=events)
            expired += len(states)
    return expired


def preferences_purge(*, now: datetime) -> int:
    """Preferences of subjects without `personalization` for longer than its retention period."""
    personalization = Purpose.objects.filter(key=PERSONALIZATION).first()
    if personalization is None:
        return 0
    cutoff = now - timedelta(days=personalization.retention_days)
    granted = ConsentState.objects.filter(
        purpose=personalization, granted=True, expires_at__gt=now
    ).values("subject_id")
    changed_lately = ConsentState.objects.filter(
        purpose=personalization, updated_at__gte=cutoff
    ).values("subject_id")
    stale = (
        SubjectPreferences.objects.filter(updated_at__lt=cutoff)
        .exclude(subject_id__in=granted)
        .exclude(subject_id__in=changed_lately)
    )
    deleted, _ = stale.delete()
    return deleted


def subjects_purge(*, now: datetime) -> dict[str, int]:
    """Delete whole chains past the proof retention (`CONSENT_PROOF_DAYS`).

    Two cases: the proof an erasure kept, counted from the erasure; and subjects with no grant in
    force whose last event is that old (their token has long expired, so nobody can reach them).
    """
    cutoff = now - timedelta(days=consent_proof_days())
    in_force = ConsentState.objects.filter(granted=True, expires_at__gt=now).values("subject_id")
    candidates = {
        "erased_subjects": Subject.objects.filter(erased_at__lt=cutoff),
        "inactive_subjects": Subject.objects.filter(erased_at__isnull=True)
        .annotate(last_event=Max("consent_events__created_at"))
        .filter(Q(last_event__lt=cutoff) | Q(last_event__isnull=True, created_at__lt=cutoff))
        .exclude(pk__in=in_force),
    }
    counts = {}
    for section, subjects in candidates.items():
        rows = list(subjects.values_list("pk", "public_id", "consent_version"))
        with transaction.atomic():
            targets = Subject.objects.filter(pk__in=[pk for pk, _, _ in rows])
            ConsentEvent.objects.erase_whole_chains(targets)
            targets.delete()
            for _, public_id, version in rows:
                change_queue(
                    public_id=public_id, version=version + 1, kind=SubjectChange.Kind.ERASURE
                )
        counts[section] = len(rows)
    return counts


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What `purge_expired` removed, per section, and which other apps' purges failed."""

    counts: dict[str, int]
    failed: tuple[str, ...] = ()


def retention_purge(*, now: datetime | None = None) -> PurgeReport:
    """Apply every retention rule once; other apps purge theirs through `retention_purge`."""
    now = now or timezone.now()
    counts = {
        "expired_grants": grants_expire(now=now),
        "preferences": preferences_purge(now=now),
        **subjects_purge(now=now),
        # Reactions that an outage held up (see `consent.services.announce`), made now.
        "pending_changes": changes_react_pending(),
    }
    failed = []
    for receiver, result in retention_purge_signal.send_robust(sender=Subject, now=now):
        if isinstance(result, Exception) or not isinstance(result, dict):
            logger.warning("%s failed to purge expired data.", receiver, exc_info=True)
            failed.append(receiver_name(receiver))
            continue
        for section, count in result.items():
            counts[section] = counts.get(section, 0) + int(count)
    return PurgeReport(counts=counts, failed=tuple(failed))
