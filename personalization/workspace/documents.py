"""Configuration documents (what a revision stores) taken apart and put together, item by item.

An *entry* is one item of a document: `("placements", "home-hero")`, `("segments", "mobile")`.
Drafts are the entries where the working copy (the admin's rows) differs from what is live;
publishing a few of them composes a new document from the live one. Pure functions: no ORM.
"""

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from personalization.workspace.exceptions import Unresolvable

type Entry = tuple[str, str]
type Document = Mapping[str, Any]

# Display order; a section another app adds to the document is handled like these.
SECTION_ORDER = ("segments", "placements", "experiments")
SINGULAR = {"segments": "segment", "placements": "placement", "experiments": "experiment"}


def sections(*documents: Document) -> list[str]:
    found = {
        key for document in documents for key, value in document.items() if isinstance(value, dict)
    }
    return sorted(found, key=lambda s: (SECTION_ORDER.index(s) if s in SECTION_ORDER else 99, s))


def entry_get(document: Document, entry: Entry) -> Any:
    """The entry's version in `document`, or None when it has none."""
    section = document.get(entry[0])
    return section.get(entry[1]) if isinstance(section, Mapping) else None


def entry_label(entry: Entry) -> str:
    return f"{SINGULAR.get(entry[0], entry[0])} {entry[1]}"


def entries_changed(live: Document, working: Document) -> list[Entry]:
    """Every entry whose working version differs from the live one, in display order."""
    changed = []
    for section in sections(live, working):
        keys = set(live.get(section) or {}) | set(working.get(section) or {})
        for key in sorted(keys):
            if entry_get(live, (section, key)) != entry_get(working, (section, key)):
                changed.append((section, key))
    return changed


def document_compose(base: Document, source: Document, entries: Iterable[Entry]) -> dict[str, Any]:
    """`base` with `source`'s version of each entry (removed where `source` has none)."""
    document = copy.deepcopy(dict(base))
    touched = set()
    for section, key in entries:
        version = entry_get(source, (section, key))
        target = document.setdefault(section, {})
        touched.add(section)
        if version is None:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(version)
    # In key order, as the configuration's own document has them, whatever was published when.
    for section in touched:
        document[section] = dict(sorted(document[section].items()))
    return document


@dataclass(frozen=True, slots=True)
class Broken:
    """`referrer` needs something of `target` that the document does not have."""

    referrer: Entry
    target: Entry
    what: str


def references_broken(document: Document) -> list[Broken]:
    """References to segments, experiments and variants that the document does not have."""
    broken = []
    segments = document.get("segments") or {}
    experiments = document.get("experiments") or {}
    placements = document.get("placements") or {}
    for key, placement in placements.items():
        for rule in placement.get("rules", []):
            if (segment := rule.get("segment")) and segment not in segments:
                broken.append(
                    Broken(("placements", key), ("segments", segment), f"segment {segment}")
                )
            if (experiment := rule.get("experiment")) and experiment not in experiments:
                broken.append(
                    Broken(
                        ("placements", key), ("experiments", experiment), f"experiment {experiment}"
                    )
                )
    for key, experiment in experiments.items():
        placement_key = experiment.get("placement")
        placement = placements.get(placement_key)
        missing = [
            arm["variant"]
            for arm in experiment.get("arms", [])
            if placement is None or arm["variant"] not in placement.get("variants", {})
        ]
        if placement is None or missing:
            what = f"placement {placement_key}" + (
                f" (variant {', '.join(missing)})" if placement and missing else ""
            )
            broken.append(Broken(("experiments", key), ("placements", placement_key), what))
    return broken


def entries_close(base: Document, source: Document, entries: Iterable[Entry]) -> list[Entry]:
    """`entries` plus whatever they need from `source` for the composed document to hold
    together: a new segment a rule uses, the rules that still use a deleted segment, …"""
    chosen = list(dict.fromkeys(entries))
    while True:
        broken = references_broken(document_compose(base, source, chosen))
        if not broken:
            return chosen
        added = False
        for item in broken:
            if item.target not in chosen and entry_get(source, item.target) is not None:
                chosen.append(item.target)
                added = True
            elif item.referrer not in chosen:
                chosen.append(item.referrer)
                added = True
        if not added:
            problems = "; ".join(
                f"{entry_label(item.referrer)} needs {item.what}" for item in broken
            )
            raise Unresolvable(f"These changes cannot be published as they are: {problems}.")
