"""Workspace reads: what is live, the drafts (working copy vs live), change sets and history."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from personalization.models import ChangeSet, Revision
from personalization.services import config_working, live_document
from personalization.workspace.catalogue import Catalogue, attribute_catalogue
from personalization.workspace.diff import Line, entry_diff
from personalization.workspace.documents import (
    Document,
    Entry,
    document_compose,
    entries_changed,
    entry_get,
    entry_label,
)
from personalization.workspace.serving import serving_warnings


def live_get() -> dict[str, Any]:
    """The configuration every process serves: the latest revision's document."""
    return live_document(Revision.objects.order_by("-number").first())


def drafts_entries() -> list[Entry]:
    """Entries whose working copy differs from what is live (unpublished changes)."""
    return entries_changed(live_get(), config_working())


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One entry of a draft, a change set or a revision: its versions and their difference."""

    section: str
    key: str
    before: Any
    after: Any
    lines: tuple[Line, ...]
    warnings: tuple[str, ...] = ()

    @property
    def entry(self) -> Entry:
        return (self.section, self.key)

    @property
    def label(self) -> str:
        return entry_label(self.entry)

    @property
    def token(self) -> str:
        """How a form names the entry: "placements:home-hero"."""
        return f"{self.section}:{self.key}"

    @property
    def kind(self) -> str:
        if self.before is None:
            return "new"
        return "deleted" if self.after is None else "changed"


def entry_changes(
    before: Document,
    after: Document,
    entries: list[Entry],
    *,
    catalogue: Catalogue | None = None,
    whole: Document | None = None,
) -> list[EntryChange]:
    """Each entry's difference from `before` to `after`, with what can never be served in the
    `whole` configuration it makes (by default `after`)."""
    catalogue = catalogue or attribute_catalogue()
    warnings = serving_warnings(whole if whole is not None else after)
    return [
        EntryChange(
            section=entry[0],
            key=entry[1],
            before=entry_get(before, entry),
            after=entry_get(after, entry),
            lines=tuple(
                entry_diff(entry, entry_get(before, entry), entry_get(after, entry), catalogue)
            ),
            warnings=tuple(warnings.get(entry, ())),
        )
        for entry in entries
    ]


def drafts_list() -> list[EntryChange]:
    """The unpublished changes, each with its difference from what is live."""
    live, working = live_get(), config_working()
    return entry_changes(live, working, entries_changed(live, working))


def change_set_changes(change_set: ChangeSet) -> list[EntryChange]:
    """A change set's entries as frozen when it was made (what it publishes)."""
    frozen: list[Mapping[str, Any]] = change_set.entries
    entries = [(e["section"], e["key"]) for e in frozen]
    before = _document({(e["section"], e["key"]): e["before"] for e in frozen})
    after = _document({(e["section"], e["key"]): e["after"] for e in frozen})
    return entry_changes(before, after, entries, whole=document_compose(live_get(), after, entries))


def _document(versions: Mapping[Entry, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {"segments": {}, "placements": {}, "experiments": {}}
    for (section, key), version in versions.items():
        if version is not None:
            document.setdefault(section, {})[key] = version
    return document


def token_entry(token: str) -> Entry | None:
    """The entry a form named ("placements:home-hero"), or None when it names nothing valid."""
    section, _, key = token.partition(":")
    return (section, key) if section and key else None
