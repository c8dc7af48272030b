"""The sensitive-data firewall: refuses keys and values that touch a GDPR Art. 9 category.

The denylist is data (`consent/data/sensitive_categories.json`, versioned); this module only
matches it. Other apps call `sensitive_problems` for segment conditions and event properties.
"""

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DENYLIST_PATH = Path(__file__).resolve().parent / "data" / "sensitive_categories.json"


@dataclass(frozen=True, slots=True)
class Term:
    """One denylisted word or phrase; `stem` makes its last word match as a prefix."""

    text: str
    words: tuple[str, ...]
    stem: bool

    def matches_at(self, tokens: list[str], start: int) -> bool:
        end = start + len(self.words)
        if end > len(tokens):
            return False
        *exact, last = self.words
        if tokens[start : end - 1] != exact:
            return False
        token = tokens[end - 1]
        return token.startswith(last) if self.stem else token == last


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    label: str
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Denylist:
    version: str
    categories: tuple[Category, ...]


def _term(text: str) -> Term:
    stem = text.endswith("*")
    return Term(text=text, words=tuple(_tokens(text.rstrip("*"))), stem=stem)


@cache
def denylist() -> Denylist:
    """The denylist as shipped (read once per process, on first use)."""
    data = json.loads(DENYLIST_PATH.read_text(encoding="utf-8"))
    return Denylist(
        version=str(data["version"]),
        categories=tuple(
            Category(key=key, label=spec["label"], terms=tuple(_term(t) for t in spec["terms"]))
            for key, spec in data["categories"].items()
        ),
    )


def _tokens(text: str) -> list[str]:
    """Words of a key, path or value: split on anything not a letter or digit, and camelCase."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", plain)
    return [token for token in re.split(r"[^a-z0-9]+", spaced.casefold()) if token]


def sensitive_categories(text: str) -> list[tuple[Category, Term]]:
    """Each category `text` touches, with the first term that matched it."""
    tokens = _tokens(text)
    found: list[tuple[Category, Term]] = []
    for category in denylist().categories:
        term = next(
            (
                term
                for term in category.terms
                for start in range(len(tokens))
                if term.matches_at(tokens, start)
            ),
            None,
        )
        if term is not None:
            found.append((category, term))
    return found


def sensitive_problems(*, keys: Iterable[str] = (), values: Iterable[str] = ()) -> list[str]:
    """One clear message per key or value that touches a sensitive category; [] when none do."""
    problems = []
    for kind, items in (("key", keys), ("value", values)):
        for item in items:
            for category, term in sensitive_categories(str(item)):
                problems.append(
                    f"The {kind} {item!r} touches a sensitive category, {category.label} "
                    f"(matched {term.text!r}): sensitive data is never used for "
                    f"personalization (denylist {denylist().version})."
                )
    return problems
