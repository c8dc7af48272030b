"""Readable differences between two versions of a segment, placement or experiment.

Each difference is a line a marketer can read: what changed, from what, to what ("Headline of
variant shoes: Find your next pair → Your next pair, one tap away"), conditions in words.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from personalization.workspace.catalogue import Catalogue
from personalization.workspace.conditions import describe_condition
from personalization.workspace.documents import Entry

MAX_TEXT = 160


@dataclass(frozen=True, slots=True)
class Line:
    what: str
    before: str | None = None
    after: str | None = None


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        text = value
    elif isinstance(value, Mapping):
        text = " · ".join(f"{key}: {_text(item)}" for key, item in value.items())
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _value_lines(what: str, before: Any, after: Any) -> list[Line]:
    """A value's difference; objects field by field ("Headline of variant shoes: …")."""
    if before == after:
        return []
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        lines = []
        for field in sorted(set(before) | set(after)):
            if before.get(field) != after.get(field):
                label = f"{str(field).replace('_', ' ').capitalize()} of {what}"
                lines.append(Line(label, _text(before.get(field)), _text(after.get(field))))
        return lines
    return [Line(what, _text(before), _text(after))]


def _percent(fraction: Any) -> str:
    try:
        return f"{float(fraction) * 100:g} %"
    except (TypeError, ValueError):
        return _text(fraction)


def _rule_text(rule: Mapping[str, Any]) -> str:
    target = rule.get("variant") or f"experiment {rule.get('experiment')}"
    rollout = float(rule.get("rollout", 100))
    share = "" if rollout >= 100 else f", {rollout:g} % rollout"
    return f"rule {rule['order']}: {rule.get('segment') or 'everyone'} → {target}{share}"


def _segment_lines(
    before: Mapping[str, Any], after: Mapping[str, Any], catalogue: Catalogue
) -> list[Line]:
    lines = []
    for field, label in (("name", "Name"), ("description", "Description")):
        if before.get(field) != after.get(field):
            lines.append(Line(label, _text(before.get(field)), _text(after.get(field))))
    if before.get("condition") != after.get("condition"):
        lines.append(
            Line(
                "Who",
                describe_condition(before.get("condition"), catalogue),
                describe_condition(after.get("condition"), catalogue),
            )
        )
    return lines


def _placement_lines(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Line]:
    lines = []
    for field, label in (
        ("name", "Name"),
        ("description", "Description"),
        ("value_type", "Value type"),
    ):
        if before.get(field) != after.get(field):
            lines.append(Line(label, _text(before.get(field)), _text(after.get(field))))
    if before and before.get("enabled") != after.get("enabled"):
        lines.append(Line("Switched " + ("on" if after.get("enabled") else "off")))
    old_holdout = (before.get("holdout") or {}).get("percentage", 0)
    new_holdout = (after.get("holdout") or {}).get("percentage", 0)
    if before and old_holdout != new_holdout:
        lines.append(Line("Holdout", f"{old_holdout:g} %", f"{new_holdout:g} %"))
    lines += _value_lines("the default value", before.get("default"), after.get("default"))
    old_variants, new_variants = before.get("variants") or {}, after.get("variants") or {}
    for key in sorted(set(old_variants) | set(new_variants)):
        old, new = old_variants.get(key), new_variants.get(key)
        if old is None:
            lines.append(Line(f"New variant {key}", None, _text(new_variants[key]["value"])))
        elif new is None:
            lines.append(Line(f"Variant {key} removed", _text(old["value"]), None))
        else:
            lines += _value_lines(f"variant {key}", old["value"], new["value"])
            if old.get("description") != new.get("description"):
                lines.append(
                    Line(
                        f"Description of variant {key}",
                        _text(old.get("description")),
                        _text(new.get("description")),
                    )
                )
    old_rules = [_rule_text(r) for r in sorted(before.get("rules") or [], key=lambda r: r["order"])]
    new_rules = [_rule_text(r) for r in sorted(after.get("rules") or [], key=lambda r: r["order"])]
    lines += [Line("Rule removed", rule, None) for rule in old_rules if rule not in new_rules]
    lines += [Line("Rule added", None, rule) for rule in new_rules if rule not in old_rules]
    return lines + _other_lines(
        before,
        after,
        {"name", "description", "value_type", "enabled", "default", "variants", "rules", "holdout"},
    )


def _experiment_lines(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Line]:
    lines = []
    labels = (
        ("name", "Name"),
        ("placement", "Placement"),
        ("status", "Status"),
        ("seed", "Assignment seed"),
        ("hash_version", "Assignment method"),
        ("required_purpose", "Needs consent for"),
    )
    for field, label in labels:
        if before.get(field) != after.get(field):
            lines.append(Line(label, _text(before.get(field)), _text(after.get(field))))
    if before.get("coverage") != after.get("coverage"):
        lines.append(
            Line("Coverage", _percent(before.get("coverage")), _percent(after.get("coverage")))
        )

    def arms(version: Mapping[str, Any]) -> str:
        return ", ".join(f"{a['variant']} {_percent(a['weight'])}" for a in version.get("arms", []))

    if before.get("arms") != after.get("arms"):
        lines.append(Line("Arms", arms(before) or "—", arms(after) or "—"))
    return lines + _other_lines(before, after, {f for f, _ in labels} | {"coverage", "arms"})


def _other_lines(
    before: Mapping[str, Any], after: Mapping[str, Any], known: set[str]
) -> list[Line]:
    # Fields other apps add to a version (goals, holdouts, …) are shown as they are.
    return [
        Line(
            field.replace("_", " ").capitalize(), _text(before.get(field)), _text(after.get(field))
        )
        for field in sorted((set(before) | set(after)) - known)
        if before.get(field) != after.get(field)
    ]


def entry_diff(entry: Entry, before: Any, after: Any, catalogue: Catalogue) -> list[Line]:
    """What changed in one entry, from `before` (None: new) to `after` (None: deleted)."""
    section = entry[0]
    if before is None and after is None:
        return []
    if before is None:
        before_version: Mapping[str, Any] = {}
        head = [Line("New")]
    elif after is None:
        return [Line("Deleted")]
    else:
        before_version, head = before, []
    if section == "segments":
        return head + _segment_lines(before_version, after, catalogue)
    if section == "placements":
        return head + _placement_lines(before_version, after)
    if section == "experiments":
        return head + _experiment_lines(before_version, after)
    return head + _other_lines(before_version, after, set())
