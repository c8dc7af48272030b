"""Workspace writes: change sets from drafts (submit, approve, reject, withdraw, publish).

Also discarding drafts. Each checks who may do it, and records it in the audit log.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from personalization.models import AuditEntry, ChangeSet, Revision, Schedule
from personalization.services import Author, audit_record, config_working, document_publish
from personalization.workspace.documents import (
    Document,
    Entry,
    document_compose,
    entries_close,
    entry_get,
    entry_label,
    references_broken,
)
from personalization.workspace.exceptions import Conflict, NotAllowed, WorkspaceError
from personalization.workspace.restore import entries_restore
from personalization.workspace.review import approval_reasons
from personalization.workspace.selectors import live_get

PUBLISH = "personalization.publish_changeset"
APPROVE = "personalization.approve_changeset"


def require_permission(actor: Author, permission: str, message: str) -> None:
    # No actor: scheduled work, authorized when it was scheduled.
    if actor is not None and not actor.has_perm(permission):  # type: ignore[attr-defined]
        raise NotAllowed(message)


def _audit(action: str, change_set: ChangeSet, actor: Author, message: str = "") -> None:
    audit_record(
        action=action,
        actor=actor,
        object_type="change set",
        object_key=f"#{change_set.pk}",
        message=message or change_set.message,
        change_set=change_set,
    )


def change_set_freeze(
    *, entries: Iterable[Entry], live: Document, working: Document
) -> tuple[list[dict[str, Any]], Document]:
    """The entries (and what they need) with their live and working versions, and the whole
    configuration they would make."""
    chosen = entries_close(live, working, entries)
    frozen = [
        {
            "section": section,
            "key": key,
            "before": entry_get(live, (section, key)),
            "after": entry_get(working, (section, key)),
        }
        for section, key in chosen
        if entry_get(live, (section, key)) != entry_get(working, (section, key))
    ]
    return frozen, document_compose(live, working, chosen)


def changes_submit(
    *, entries: Iterable[Entry], author: AbstractBaseUser, message: str
) -> ChangeSet:
    """Freeze the drafts of `entries` as a change set: waiting for approval when the review
    policy asks for it, otherwise approved and ready to publish."""
    if not message.strip():
        raise WorkspaceError("Say why: the message is what the history shows.")
    with transaction.atomic():
        latest = Revision.objects.order_by("-number").values_list("number", flat=True).first()
        frozen, whole = change_set_freeze(
            entries=entries, live=live_get(), working=config_working()
        )
        if not frozen:
            raise WorkspaceError("Nothing to publish: these are already live.")
        reasons = approval_reasons(frozen, whole)
        change_set = ChangeSet.objects.create(
            message=message.strip(),
            author_id=author.pk,
            status=ChangeSet.Status.PENDING if reasons else ChangeSet.Status.APPROVED,
            entries=frozen,
            base_revision=latest or 0,
            approval_reasons=reasons,
        )
        if reasons:
            _audit(AuditEntry.Action.SUBMITTED, change_set, author)
    return change_set


def _conflicts(change_set: ChangeSet, live: Document) -> list[str]:
    return [
        entry_label((e["section"], e["key"]))
        for e in change_set.entries
        if entry_get(live, (e["section"], e["key"])) != e["before"]
    ]


def changeset_publish(*, change_set: ChangeSet, actor: Author) -> Revision:
    """Publish an approved change set on top of what is live; refused if any of its items was
    published differently since it was made (review it again, as a new change set)."""
    require_permission(actor, PUBLISH, "You may not publish changes.")
    ready = {ChangeSet.Status.APPROVED, ChangeSet.Status.SCHEDULED}
    if change_set.status not in ready:
        raise NotAllowed(f"This change set is {change_set.get_status_display().lower()}.")
    entries = [(e["section"], e["key"]) for e in change_set.entries]
    proposed: dict[str, dict[str, Any]] = {}
    for e in change_set.entries:
        if e["after"] is not None:
            proposed.setdefault(e["section"], {})[e["key"]] = e["after"]

    def compose(live: Document) -> Document:
        if conflicts := _conflicts(change_set, live):
            raise Conflict(
                f"{', '.join(conflicts)} changed since this change set was made; submit the "
                "changes again so that what is published has been reviewed."
            )
        document = document_compose(live, proposed, entries)
        if broken := references_broken(document):
            needs = "; ".join(f"{entry_label(b.referrer)} needs {b.what}" for b in broken)
            raise Conflict(f"What is live changed since this change set was made: {needs}.")
        return document

    revision = document_publish(
        compose=compose,
        author=actor,
        message=f"{change_set.message} (change set #{change_set.pk})",
        change_set=change_set,
    )
    # Published now: a publication it was scheduled for has nothing left to do.
    change_set.schedules.filter(
        status=Schedule.Status.PENDING, action=Schedule.Action.PUBLISH
    ).update(status=Schedule.Status.CANCELLED)
    return revision


def changes_publish(
    *, entries: Iterable[Entry], author: AbstractBaseUser, message: str
) -> ChangeSet:
    """Submit the drafts of `entries` and, when no approval is needed, publish them at once."""
    require_permission(author, PUBLISH, "You may not publish changes.")
    with transaction.atomic():
        change_set = changes_submit(entries=entries, author=author, message=message)
        if change_set.status == ChangeSet.Status.APPROVED:
            changeset_publish(change_set=change_set, actor=author)
    return change_set


def changeset_approve(
    *, change_set: ChangeSet, reviewer: AbstractBaseUser, note: str = ""
) -> ChangeSet:
    """Four eyes: another person with the approval permission approves a waiting change set."""
    require_permission(reviewer, APPROVE, "You may not approve changes.")
    if change_set.author_id == reviewer.pk:
        raise NotAllowed("You made these changes: someone else must approve them.")
    if change_set.status != ChangeSet.Status.PENDING:
        raise NotAllowed(f"This change set is {change_set.get_status_display().lower()}.")
    scheduled = change_set.schedules.filter(status=Schedule.Status.PENDING).exists()
    change_set.status = ChangeSet.Status.SCHEDULED if scheduled else ChangeSet.Status.APPROVED
    change_set.reviewer_id = reviewer.pk
    change_set.reviewed_at = timezone.now()
    change_set.review_note = note[:300]
    change_set.save(update_fields=["status", "reviewer", "reviewed_at", "review_note"])
    _audit(AuditEntry.Action.APPROVED, change_set, reviewer, note)
    return change_set


def changeset_reject(*, change_set: ChangeSet, reviewer: AbstractBaseUser, note: str) -> ChangeSet:
    require_permission(reviewer, APPROVE, "You may not review changes.")
    if change_set.status != ChangeSet.Status.PENDING:
        raise NotAllowed(f"This change set is {change_set.get_status_display().lower()}.")
    if not note.strip():
        raise WorkspaceError("Say why it is rejected, so the author can fix it.")
    change_set.status = ChangeSet.Status.REJECTED
    change_set.reviewer_id = reviewer.pk
    change_set.reviewed_at = timezone.now()
    change_set.review_note = note[:300]
    change_set.save(update_fields=["status", "reviewer", "reviewed_at", "review_note"])
    _cancel_schedules(change_set)
    _audit(AuditEntry.Action.REJECTED, change_set, reviewer, note)
    return change_set


def changeset_withdraw(*, change_set: ChangeSet, actor: AbstractBaseUser) -> ChangeSet:
    """The author (or a publisher) takes back a change set that is not published yet."""
    if change_set.author_id != actor.pk:
        require_permission(actor, PUBLISH, "Only its author or a publisher may withdraw it.")
    open_states = {
        ChangeSet.Status.PENDING,
        ChangeSet.Status.APPROVED,
        ChangeSet.Status.SCHEDULED,
    }
    if change_set.status not in open_states:
        raise NotAllowed(f"This change set is {change_set.get_status_display().lower()}.")
    change_set.status = ChangeSet.Status.WITHDRAWN
    change_set.save(update_fields=["status"])
    _cancel_schedules(change_set)
    _audit(AuditEntry.Action.WITHDRAWN, change_set, actor)
    return change_set


def _cancel_schedules(change_set: ChangeSet) -> None:
    change_set.schedules.filter(status=Schedule.Status.PENDING).update(
        status=Schedule.Status.CANCELLED
    )


def drafts_discard(*, entries: Iterable[Entry], actor: AbstractBaseUser) -> list[Entry]:
    """Undo unpublished changes: the working copy of `entries` becomes what is live again."""
    entries = list(entries)
    for section, _ in entries:
        model = section.rstrip("s")
        require_permission(
            actor, f"personalization.change_{model}", f"You may not change {section}."
        )
    with transaction.atomic():
        restored = entries_restore(document=live_get(), entries=entries)
        for section, key in restored:
            audit_record(
                action=AuditEntry.Action.DISCARDED,
                actor=actor,
                object_type=section.rstrip("s"),
                object_key=key,
                message="Back to what is live",
            )
    return restored
