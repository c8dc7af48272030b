"""A subject's changes and their reactions: bumped and queued in the transaction, run on commit,
retried until they have all happened (a transactional outbox).

Every write that changes what consent allows for a subject — its consent, its preferences, its
erasure — calls `change_commit` inside its transaction. On commit, `change_react` publishes the
new consent version (so every reader and in-flight writer can tell what is stale), refreshes the
cached record, lets other apps delete what consent no longer allows (through `consent_changed`
or `subject_data_erase`), and tells the subject's open sockets. If any of that fails (Redis down,
the process killed), the `SubjectChange` row stays and `changes_react_pending` runs the
reactions again, from the database's current truth, until they all succeed.
"""

import logging
from datetime import timedelta
from functools import partial

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.broadcast import broadcast
from consent.models import ConsentState, Subject, SubjectChange
from consent.selectors import (
    ConsentRecord,
    consent_record_load,
    consent_record_store,
    consent_snapshot_build,
    subject_group_name,
)
from consent.signals import consent_changed, subject_data_erase
from consent.versions import consent_version_publish

logger = logging.getLogger(__name__)

# A change younger than this may still be reacted to by the process that made it. Retrying it
# as well would be harmless (reactions are idempotent): the pause only spares the work, and
# keeps short the time an outage's stale copies outlive the outage.
RETRY_AFTER_SECONDS = 1.0
RETRY_BATCH = 100


def change_commit(
    *, subject: Subject, kind: SubjectChange.Kind, kinds: tuple[str, ...] = ()
) -> int:
    """Inside the transaction of a change of the locked `subject`: bump its consent version and
    queue the reactions, run on commit; the new version. `kinds` are the consent events the
    change recorded (for metrics)."""
    subject.consent_version = F("consent_version") + 1
    subject.save(update_fields=["consent_version"])
    subject.refresh_from_db(fields=["consent_version"])
    change_queue(
        public_id=subject.public_id, version=subject.consent_version, kind=kind, kinds=kinds
    )
    return subject.consent_version


def change_queue(
    *, public_id: str, version: int, kind: SubjectChange.Kind, kinds: tuple[str, ...] = ()
) -> None:
    """Inside a transaction: record that `public_id` changed to `version` and react on commit."""
    change = SubjectChange.objects.create(public_id=public_id, version=version, kind=kind)
    transaction.on_commit(partial(change_react, change=change, kinds=kinds))


def change_react(
    *, change: SubjectChange, kinds: tuple[str, ...] = (), retry: bool = False
) -> bool:
    """Run a committed change's reactions; whether they all succeeded (its row is then gone).

    Never raises: the change itself has happened, and whatever failed is retried later.
    """
    public_id = change.public_id
    failed = []
    try:
        # First: from here on, a cached record or an in-flight write older than this version
        # is stale everywhere, before anything it may have written is deleted.
        consent_version_publish(subject_id=public_id, version=change.version)
    except Exception:
        logger.warning("Could not publish a subject's consent version.", exc_info=True)
        failed.append("version")
    try:
        record = consent_record_load(subject_id=public_id)
    except Exception:
        logger.warning("Could not read a subject's consent back.", exc_info=True)
        return False
    if not record.exists:
        record = ConsentRecord(exists=False, version=change.version)
    try:
        consent_record_store(subject_id=public_id, record=record)
    except Exception:
        logger.warning("Could not refresh the cached consent of a subject.", exc_info=True)
        failed.append("cache")
    if change.kind == SubjectChange.Kind.ERASURE or not record.exists:
        results = subject_data_erase.send_robust(sender=Subject, subject_id=public_id)
        message = {"type": "subject.erased", "version": record.version}
    else:
        purposes = consent_snapshot_build(subject_id=public_id, record=record).purposes
        results = consent_changed.send_robust(
            sender=ConsentState,
            subject_id=public_id,
            purposes=purposes,
            kinds=() if retry else kinds,
        )
        message = {"type": "consent.changed", "version": record.version}
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.warning("%r failed to react to a subject's change.", receiver, exc_info=result)
            failed.append("receivers")
    try:
        broadcast(subject_group_name(public_id), message)
    except Exception:
        logger.warning("Could not tell a subject's open sockets of a change.", exc_info=True)
        failed.append("sockets")
    if failed:
        SubjectChange.objects.filter(pk=change.pk).update(attempts=F("attempts") + 1)
        return False
    SubjectChange.objects.filter(pk=change.pk).delete()
    return True


def changes_react_pending(*, older_than: float = RETRY_AFTER_SECONDS) -> int:
    """Run again the reactions of changes that have not all happened; how many now did.

    Called periodically by every process (see `personalization.lifespan`) and by
    `purge_expired`; reactions are idempotent, so two processes retrying one change is harmless.
    """
    due = timezone.now() - timedelta(seconds=older_than)
    pending = list(SubjectChange.objects.filter(created_at__lte=due).order_by("pk")[:RETRY_BATCH])
    return sum(change_react(change=change, retry=True) for change in pending)
