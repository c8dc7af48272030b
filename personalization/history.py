"""Revision history reads for the dashboard: who published which revision, and what it changed."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from personalization.models import Revision

SECTIONS = ("placements", "segments", "experiments")


@dataclass(frozen=True, slots=True)
class SectionChanges:
    section: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RevisionEntry:
    number: int
    created_at: datetime
    author: str
    message: str
    changes: tuple[SectionChanges, ...]


def revision_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> tuple[SectionChanges, ...]:
    """Which placements, segments and experiments a revision added, removed or changed."""
    changes = []
    for section in SECTIONS:
        old: Mapping[str, Any] = (before or {}).get(section) or {}
        new: Mapping[str, Any] = after.get(section) or {}
        entry = SectionChanges(
            section=section,
            added=tuple(sorted(set(new) - set(old))),
            removed=tuple(sorted(set(old) - set(new))),
            changed=tuple(sorted(key for key in set(new) & set(old) if new[key] != old[key])),
        )
        if entry.added or entry.removed or entry.changed:
            changes.append(entry)
    return tuple(changes)


def revision_history(*, limit: int = 20) -> list[RevisionEntry]:
    """The latest `limit` revisions, newest first, each compared with the one before it."""
    # One more than shown: the oldest one shown is compared with it.
    revisions = list(Revision.objects.select_related("author").order_by("-number")[: limit + 1])
    entries = []
    for index, revision in enumerate(revisions[:limit]):
        previous = revisions[index + 1] if index + 1 < len(revisions) else None
        entries.append(
            RevisionEntry(
                number=revision.number,
                created_at=revision.created_at,
                author=revision.author.get_username() if revision.author else "—",
                message=revision.message,
                changes=revision_changes(
                    previous.snapshot if previous else None, revision.snapshot
                ),
            )
        )
    return entries
