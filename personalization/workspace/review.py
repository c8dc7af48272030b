"""Which change sets need a second person's approval (four eyes), and why, in words.

On with `TACTFUL_REQUIRE_APPROVAL`: a change set needs approval when it touches an experiment,
a segment that reads behaviour (`signals`) or preferences (`prefs`), or a sensitive-adjacent
subject (age, children, income, …; the list is data, next to the firewall's denylist).
"""

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from personalization.engine import condition_manifest, validate_condition
from personalization.workspace.documents import Document

TERMS_PATH = Path(__file__).resolve().parent / "data" / "review_terms.json"
PERSONAL_NAMESPACES = frozenset({"signals", "prefs"})


@cache
def _terms() -> tuple[str, ...]:
    return tuple(json.loads(TERMS_PATH.read_text(encoding="utf-8"))["terms"])


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return [word for word in re.split(r"[^a-z0-9]+", spaced.casefold()) if word]


def adjacent_term(text: str) -> str | None:
    """The first sensitive-adjacent term `text` mentions, or None."""
    for word in _words(text):
        for term in _terms():
            if (term.endswith("*") and word.startswith(term[:-1])) or word == term:
                return term.rstrip("*")
    return None


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _personal(condition: Any) -> bool:
    if not isinstance(condition, dict) or validate_condition(condition):
        return False
    namespaces, _ = condition_manifest(condition)
    return bool(namespaces & PERSONAL_NAMESPACES)


def _changed_rules(before: Any, after: Any) -> list[Mapping[str, Any]]:
    old = (before or {}).get("rules", [])
    return [rule for rule in (after or {}).get("rules", []) if rule not in old]


def approval_reasons(entries: Sequence[Mapping[str, Any]], document: Document) -> list[str]:
    """Why this change set needs approval (empty: it does not, or approvals are off).

    `entries` are {section, key, before, after}; `document` is the configuration they make.
    """
    if not settings.TACTFUL["REQUIRE_APPROVAL"]:
        return []
    segments: Mapping[str, Any] = document.get("segments") or {}
    reasons: list[str] = []
    for entry in entries:
        section, key, before, after = (
            entry["section"],
            entry["key"],
            entry["before"],
            entry["after"],
        )
        if section == "experiments":
            reasons.append(f"It changes experiment {key}.")
        elif section == "segments":
            conditions = [v.get("condition") for v in (before, after) if v]
            if any(_personal(condition) for condition in conditions):
                reasons.append(f"It changes segment {key}, which reads behaviour or preferences.")
        elif section == "placements":
            for rule in _changed_rules(before, after):
                if rule.get("experiment"):
                    reasons.append(f"A rule of {key} runs experiment {rule['experiment']}.")
                segment = segments.get(rule.get("segment") or "")
                if segment and _personal(segment.get("condition")):
                    reasons.append(
                        f"A rule of {key} uses segment {rule['segment']}, which reads behaviour "
                        "or preferences."
                    )
        for version in (before, after):
            term = next((t for text in _texts(version) if (t := adjacent_term(text))), None)
            if term:
                reasons.append(
                    f'It mentions "{term}" ({section[:-1]} {key}), a sensitive-adjacent subject.'
                )
                break
    return list(dict.fromkeys(reasons))
