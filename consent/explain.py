"""Plain-language explanations of recent decisions ("Why am I seeing this", GDPR Art. 15(1)(h)).

Works on the `recent_decisions` items other apps export: the attribute paths the matched
segment read, with the visitor's own values.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consent.selectors.preferences import PreferenceSpec

_WINDOW = re.compile(r"count_(\d+)([mhd])")
_UNITS = {"m": ("minute", "minutes"), "h": ("hour", "hours"), "d": ("day", "days")}
_VERBS = {
    "product_view": "viewed",
    "page_view": "visited",
    "view": "viewed",
    "add_to_cart": "added to your cart",
    "search": "searched for",
    "purchase": "bought",
    "click": "clicked on",
}
_CONTEXT = {
    "device": "Because you are on a {} device",
    "locale": "Because your browser asks for the language {}",
    "utm_campaign": "Because you arrived from the campaign “{}”",
    "utm_source": "Because you arrived from {}",
    "utm_medium": "Because you arrived through {}",
    "referrer": "Because you came from {}",
    "local_hour": "Because of the time of day where you are ({}:00)",
    "page": "Because of the page you are on ({})",
}


@dataclass(frozen=True, slots=True)
class DecisionExplanation:
    """One recent decision, in sentences a visitor understands."""

    at: str
    placement: str
    variant: str
    segment: str | None
    reasons: tuple[str, ...]
    purposes: tuple[str, ...]
    # As people read them: names where the exporting app gives them (keys otherwise), a time.
    placement_name: str = ""
    variant_name: str = ""
    segment_name: str | None = None
    at_time: datetime | None = None


def _words(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_words(v) for v in value)
    return str(value).replace("_", " ")


def _times(count: Any) -> str:
    return "once" if count == 1 else f"{count} times"


def _signal(path: list[str], value: Any) -> str:
    event, *rest = path
    verb = _VERBS.get(event, f"had “{_words(event)}” activity for")
    thing = _words(rest[-2]) if len(rest) >= 3 else "this"
    metric = rest[-1] if rest else ""
    if window := _WINDOW.fullmatch(metric):
        amount, unit = int(window.group(1)), _UNITS[window.group(2)]
        span = f"{amount} {unit[0] if amount == 1 else unit[1]}"
        return f"Because you {verb} {thing} {_times(value)} in the last {span}"
    return f"Because you {verb} {thing} recently"


def _preference(key: str, value: Any, specs: Mapping[str, PreferenceSpec]) -> str:
    spec = specs.get(key)
    values = value if isinstance(value, list) else [value]
    if spec is None:
        return f"Because you chose {_words(values)} for {_words(key)}"
    return f"Because you chose the {spec.noun} {', '.join(spec.value_label(v) for v in values)}"


def _reason(path: str, value: Any, specs: Mapping[str, PreferenceSpec]) -> str:
    namespace, _, rest = path.partition(".")
    if namespace == "prefs":
        return _preference(rest, value, specs)
    if namespace == "signals" and rest:
        return _signal(rest.split("."), value)
    if namespace == "context" and rest in _CONTEXT:
        return _CONTEXT[rest].format(_words(value))
    return f"Because of {_words(rest or path)}: {_words(value)}"


def decision_explain(
    item: Mapping[str, Any],
    *,
    specs: Mapping[str, PreferenceSpec],
    purpose_names: Mapping[str, str],
) -> DecisionExplanation:
    """Explain one `recent_decisions` item; unknown shapes degrade to a generic sentence."""
    attributes = item.get("attributes") or {}
    reasons = [_reason(str(path), value, specs) for path, value in attributes.items()]
    if item.get("experiment"):
        reasons.append(
            f"Because you take part in the test “{item['experiment']}”, which shows different "
            "versions to different visitors"
        )
    if not reasons:
        segment = item.get("segment")
        reasons.append(
            f"Because you are in the audience “{segment}”" if segment else "Shown to every visitor"
        )
    placement = str(item.get("placement", ""))
    variant = str(item.get("variant") or "default")
    segment = str(item["segment"]) if item.get("segment") else None
    return DecisionExplanation(
        at=str(item.get("at", "")),
        placement=placement,
        variant=variant,
        segment=segment,
        reasons=tuple(reasons),
        purposes=tuple(purpose_names.get(p, p) for p in item.get("purposes") or ()),
        placement_name=str(item.get("placement_name") or placement),
        variant_name=str(item.get("variant_name") or variant),
        segment_name=str(item.get("segment_name") or segment) if segment else None,
        at_time=_moment(item.get("at")),
    )


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
