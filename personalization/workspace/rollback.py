"""Rollback: one placement, or the whole configuration, back to how an earlier revision had it.

Always previewed first (`rollback_plan`: what will change, and which drafts it replaces), and
published as a new revision of its own (`rollback_publish`). Rolling back a placement brings its
experiments along, and any segment its rules need that is gone; every other segment, placement
and experiment stays as it is live.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from personalization.models import AuditEntry, ChangeSet, Revision
from personalization.services import audit_record, config_working
from personalization.workspace.documents import (
    Document,
    Entry,
    entries_changed,
    entries_close,
    entry_label,
)
from personalization.workspace.exceptions import WorkspaceError
from personalization.workspace.restore import entries_restore
from personalization.workspace.selectors import EntryChange, entry_changes, live_get
from personalization.workspace.services import (
    PUBLISH,
    change_set_freeze,
    changeset_publish,
    require_permission,
)


@dataclass(frozen=True, slots=True)
class RollbackPlan:
    revision: Revision
    placement: str | None
    changes: list[EntryChange]
    # Drafts of these entries are replaced by the rollback.
    discarded_drafts: list[str]

    @property
    def scope(self) -> str:
        return f"placement {self.placement}" if self.placement else "the whole configuration"

    @property
    def message(self) -> str:
        what = self.placement or "everything"
        return f"Roll back {what} to r{self.revision.number}"


def _scope(revision: Revision, placement: str | None, live: Document) -> list[Entry]:
    target: Document = revision.snapshot
    if placement is None:
        return entries_changed(live, target)
    if placement not in (live.get("placements") or {}) and placement not in target["placements"]:
        raise WorkspaceError(f"There is no placement {placement} live or in r{revision.number}.")
    experiments = {
        key
        for document in (live, target)
        for key, experiment in (document.get("experiments") or {}).items()
        if experiment.get("placement") == placement
    }
    return entries_close(
        live,
        target,
        [("placements", placement), *(("experiments", key) for key in sorted(experiments))],
    )


def rollback_plan(*, revision: Revision, placement: str | None = None) -> RollbackPlan:
    """What rolling back would change, from what is live, before anything is changed."""
    live, working = live_get(), config_working()
    entries = [
        e
        for e in _scope(revision, placement, live)
        if e in entries_changed(live, revision.snapshot)
    ]
    drafts = set(entries_changed(live, working))
    return RollbackPlan(
        revision=revision,
        placement=placement,
        changes=entry_changes(live, revision.snapshot, entries),
        discarded_drafts=[entry_label(entry) for entry in entries if entry in drafts],
    )


def rollback_publish(
    *,
    revision: Revision,
    placement: str | None = None,
    actor: AbstractBaseUser | None,
    message: str = "",
) -> Revision:
    """Publish `placement` (or everything) as `revision` had it, as a new revision; the working
    copy of what it restores follows, so a later publish does not undo it."""
    require_permission(actor, PUBLISH, "You may not roll back.")
    with transaction.atomic():
        live = live_get()
        entries = [
            e
            for e in _scope(revision, placement, live)
            if e in entries_changed(live, revision.snapshot)
        ]
        if not entries:
            raise WorkspaceError("Nothing to roll back: it is already as in that revision.")
        frozen, _ = change_set_freeze(entries=entries, live=live, working=revision.snapshot)
        plan = RollbackPlan(revision, placement, [], [])
        change_set = ChangeSet.objects.create(
            message=(message.strip() or plan.message)[:300],
            kind=ChangeSet.Kind.ROLLBACK,
            author_id=getattr(actor, "pk", None),
            status=ChangeSet.Status.APPROVED,
            entries=frozen,
            base_revision=revision.number,
        )
        entries_restore(
            document=revision.snapshot, entries=[(e["section"], e["key"]) for e in frozen]
        )
        published = changeset_publish(change_set=change_set, actor=actor)
        audit_record(
            action=AuditEntry.Action.ROLLED_BACK,
            actor=actor,
            object_type="placement" if placement else "configuration",
            object_key=placement or "",
            message=f"{plan.scope} back to r{revision.number}: {change_set.message}",
            change_set=change_set,
            revision_number=published.number,
        )
    return published
