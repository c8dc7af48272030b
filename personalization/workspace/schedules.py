"""Scheduled publications: a change set goes live (and, if asked, is undone) at a given time.

`schedules_publish_due()` runs what is due, each schedule exactly once however many processes
call it at the same moment: a due schedule is taken under a row lock that other callers skip
(`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write lock serializes callers), and
its status is changed in the same transaction as the publication. It is idempotent: calling it
again finds nothing due. Call it periodically (the process listener, or `manage.py publish_due`).
"""

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from personalization.models import AuditEntry, ChangeSet, Schedule
from personalization.services import audit_record
from personalization.workspace.exceptions import NotAllowed, WorkspaceError
from personalization.workspace.services import (
    PUBLISH,
    changes_publish,
    changes_submit,
    changeset_publish,
    require_permission,
)

logger = logging.getLogger(__name__)

OPEN = (ChangeSet.Status.PENDING, ChangeSet.Status.APPROVED, ChangeSet.Status.SCHEDULED)


def _when(schedule: Schedule) -> str:
    local = schedule.local_due_at
    return f"{local:%A %d %B %Y, %H:%M} {schedule.time_zone}"


def changeset_schedule(
    *,
    change_set: ChangeSet,
    actor: AbstractBaseUser,
    publish_at: datetime,
    revert_at: datetime | None = None,
    time_zone: str = "UTC",
) -> list[Schedule]:
    """Publish `change_set` at `publish_at` (and undo it at `revert_at`), once approved."""
    require_permission(actor, PUBLISH, "You may not schedule changes.")
    if change_set.status not in OPEN:
        raise NotAllowed(f"This change set is {change_set.get_status_display().lower()}.")
    now = timezone.now()
    if publish_at <= now:
        raise WorkspaceError("That time has passed: choose a time in the future.")
    if revert_at is not None and revert_at <= publish_at:
        raise WorkspaceError("The change must be undone after it is published.")
    with transaction.atomic():
        change_set.schedules.filter(status=Schedule.Status.PENDING).update(
            status=Schedule.Status.CANCELLED
        )
        schedules = [
            Schedule.objects.create(
                change_set=change_set,
                action=action,
                due_at=due,
                time_zone=time_zone,
                created_by_id=actor.pk,
            )
            for action, due in (
                (Schedule.Action.PUBLISH, publish_at),
                (Schedule.Action.REVERT, revert_at),
            )
            if due is not None
        ]
        if change_set.status == ChangeSet.Status.APPROVED:
            change_set.status = ChangeSet.Status.SCHEDULED
            change_set.save(update_fields=["status"])
        for schedule in schedules:
            audit_record(
                action=AuditEntry.Action.SCHEDULED,
                actor=actor,
                object_type="change set",
                object_key=f"#{change_set.pk}",
                message=f"{schedule.get_action_display()} on {_when(schedule)}",
                change_set=change_set,
            )
    return schedules


def changeset_unschedule(*, change_set: ChangeSet, actor: AbstractBaseUser | None) -> int:
    """Cancel a change set's waiting schedules; a scheduled change set is approved again."""
    with transaction.atomic():
        cancelled = change_set.schedules.filter(status=Schedule.Status.PENDING).update(
            status=Schedule.Status.CANCELLED
        )
        if change_set.status == ChangeSet.Status.SCHEDULED:
            change_set.status = ChangeSet.Status.APPROVED
            change_set.save(update_fields=["status"])
        if cancelled:
            audit_record(
                action=AuditEntry.Action.UNSCHEDULED,
                actor=actor,
                object_type="change set",
                object_key=f"#{change_set.pk}",
                change_set=change_set,
            )
    return cancelled


def _revert_change_set(change_set: ChangeSet) -> ChangeSet:
    """The undoing of a published change set, as a change set of its own (already approved:
    the original was)."""
    return ChangeSet.objects.create(
        message=f"Scheduled end of change set #{change_set.pk}: {change_set.message}"[:300],
        kind=ChangeSet.Kind.ROLLBACK,
        author_id=change_set.author_id,
        status=ChangeSet.Status.APPROVED,
        entries=[{**e, "before": e["after"], "after": e["before"]} for e in change_set.entries],
        base_revision=change_set.revision.number if change_set.revision else 0,
        reviewer_id=change_set.reviewer_id,
        reviewed_at=change_set.reviewed_at,
    )


def _run(schedule: Schedule) -> None:
    change_set = schedule.change_set
    try:
        with transaction.atomic():
            if schedule.action == Schedule.Action.PUBLISH:
                if change_set.status != ChangeSet.Status.SCHEDULED:
                    raise WorkspaceError(
                        "It was not approved by its time "
                        f"({change_set.get_status_display().lower()})."
                    )
                revision = changeset_publish(change_set=change_set, actor=None)
            else:
                if change_set.status != ChangeSet.Status.PUBLISHED:
                    raise WorkspaceError("It was never published, so there is nothing to undo.")
                revision = changeset_publish(change_set=_revert_change_set(change_set), actor=None)
    except WorkspaceError as error:
        schedule.status = Schedule.Status.FAILED
        schedule.error = error.message[:500]
        if schedule.action == Schedule.Action.PUBLISH and change_set.status in OPEN:
            change_set.status = ChangeSet.Status.FAILED
            change_set.error = schedule.error
            change_set.save(update_fields=["status", "error"])
        audit_record(
            action=AuditEntry.Action.FAILED,
            actor=None,
            object_type="change set",
            object_key=f"#{change_set.pk}",
            message=f"Scheduled {schedule.get_action_display().lower()}: {error.message}",
            change_set=change_set,
        )
    else:
        schedule.status = Schedule.Status.DONE
        schedule.revision = revision
    schedule.done_at = timezone.now()
    schedule.save(update_fields=["status", "error", "revision", "done_at"])


def schedules_publish_due(*, now: datetime | None = None) -> list[Schedule]:
    """Run every schedule due at `now` (default: now), oldest first, each exactly once."""
    moment = now or timezone.now()
    ran: list[Schedule] = []
    while True:
        with transaction.atomic():
            schedule = (
                Schedule.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Schedule.Status.PENDING, due_at__lte=moment)
                .order_by("due_at", "id")
                .first()
            )
            if schedule is None:
                return ran
            _run(schedule)
            ran.append(schedule)
            logger.info(
                "scheduled %s of change set #%s: %s",
                schedule.action,
                schedule.change_set_id,
                schedule.status,
            )


def schedules_summary(schedules: list[Schedule]) -> list[dict[str, Any]]:
    """What a command or a log line says about the schedules that ran."""
    return [
        {
            "change_set": s.change_set_id,
            "action": s.action,
            "status": s.status,
            "revision": s.revision.number if s.revision else None,
            "error": s.error,
        }
        for s in schedules
    ]


def changes_publish_or_schedule(
    *,
    entries: list[tuple[str, str]],
    author: AbstractBaseUser,
    message: str,
    publish_at: datetime | None = None,
    revert_at: datetime | None = None,
    time_zone: str = "UTC",
) -> ChangeSet:
    """Drafts to a change set published now, or at `publish_at` (undone at `revert_at`); when
    it needs approval it waits for it either way. All or nothing."""
    with transaction.atomic():
        if publish_at is None:
            if revert_at is not None:
                raise WorkspaceError("Choose when to publish too: the undo comes after it.")
            return changes_publish(entries=entries, author=author, message=message)
        require_permission(author, PUBLISH, "You may not publish changes.")
        change_set = changes_submit(entries=entries, author=author, message=message)
        changeset_schedule(
            change_set=change_set,
            actor=author,
            publish_at=publish_at,
            revert_at=revert_at,
            time_zone=time_zone,
        )
        change_set.refresh_from_db()
    return change_set
