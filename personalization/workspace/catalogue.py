"""The attribute catalogue: every path a segment may read, with its label, type and purpose.

Three sources, read afresh each time (the admin is not a hot path): context keys declared in
`ContextKey`, the preference registry (`consent.selectors.preference_specs`) and the signal
attributes the event taxonomy derives (`signals.<type>.count_30m`, …). A signal attribute that
names a property value is a *template*: `signals.product_view.category.{value}.count_30m`.
"""

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from consent.selectors import preference_specs
from personalization.engine import purposes_for
from personalization.signals.taxonomy import SLUG, event_taxonomy
from personalization.signals.windows import SESSION, SPANS, WINDOWS

PLACEHOLDER = "{value}"


@dataclass(frozen=True, slots=True)
class Attribute:
    """One attribute a marketer can pick: a fixed path, or a template with one `{value}`."""

    path: str
    label: str
    group: str
    type: str  # string, number, boolean or list
    example: str = ""
    values: tuple[str, ...] = ()
    description: str = ""
    placeholder: str = ""  # what `{value}` stands for, e.g. "category"

    @property
    def namespace(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def purposes(self) -> tuple[str, ...]:
        return tuple(sorted(purposes_for([self.namespace])))

    @property
    def is_template(self) -> bool:
        return PLACEHOLDER in self.path

    def pattern(self) -> re.Pattern[str]:
        before, after = self.path.split(PLACEHOLDER)
        return re.compile(re.escape(before) + f"({SLUG.pattern})" + re.escape(after))

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "label": self.label,
            "group": self.group,
            "type": self.type,
            "example": self.example,
            "values": list(self.values),
            "description": self.description,
            "placeholder": self.placeholder,
            "purposes": list(self.purposes),
        }


@dataclass(frozen=True, slots=True)
class Catalogue:
    attributes: tuple[Attribute, ...]

    def find(self, path: str) -> Attribute | None:
        """The attribute `path` reads (a template's, when it fills one in), or None."""
        for attribute in self.attributes:
            if attribute.path == path:
                return attribute
        for attribute in self.attributes:
            if attribute.is_template and attribute.pattern().fullmatch(path):
                return attribute
        return None

    def label(self, path: str) -> str:
        """How a marketer reads `path`: the attribute's label, a template's value filled in."""
        attribute = self.find(path)
        if attribute is None:
            return path
        if attribute.is_template:
            match = attribute.pattern().fullmatch(path)
            value = match.group(1) if match else "…"
            return attribute.label.replace("…", value)
        return attribute.label

    def suggestion(self, path: str) -> str | None:
        """The closest known path to a mistyped one, e.g. product_veiw → product_view."""
        candidates = [a.path for a in self.attributes if not a.is_template]
        parts = path.split(".")
        for attribute in self.attributes:
            if attribute.is_template:
                index = attribute.path.split(".").index(PLACEHOLDER)
                if index < len(parts):
                    candidates.append(attribute.path.replace(PLACEHOLDER, parts[index]))
        close = difflib.get_close_matches(path, candidates, n=1, cutoff=0.8)
        return close[0] if close else None

    def as_list(self) -> list[dict[str, Any]]:
        return [attribute.as_dict() for attribute in self.attributes]


def _humanize(key: str) -> str:
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def _span_label(span: str) -> str:
    if span == SESSION:
        return "in this visit"
    return f"in the last {WINDOWS[span] // 60} minutes"


def _context_attributes() -> list[Attribute]:
    from personalization.models import ContextKey

    return [
        Attribute(
            path=f"context.{key.key}",
            label=key.label,
            group="Context (sent by the page)",
            type=key.type,
            example=key.example,
            values=tuple(str(v) for v in key.values),
            description=key.description,
        )
        for key in ContextKey.objects.all()
    ]


def _preference_attributes() -> list[Attribute]:
    return [
        Attribute(
            path=f"prefs.{spec.key}",
            label=spec.label,
            group="Preferences (chosen by the visitor)",
            type="list",
            example=spec.options[0][0] if spec.options else "",
            values=tuple(value for value, _ in spec.options),
            description=spec.description,
        )
        for spec in preference_specs().values()
    ]


def _signal_attributes(taxonomy: Mapping[str, Iterable[str]]) -> list[Attribute]:
    group = "Behaviour (recent events)"
    attributes = []
    for event_type in sorted(taxonomy):
        name = _humanize(event_type)
        for span in SPANS:
            attributes.append(
                Attribute(
                    path=f"signals.{event_type}.count_{span}",
                    label=f"{name}: times {_span_label(span)}",
                    group=group,
                    type="number",
                    example="3",
                )
            )
        attributes.append(
            Attribute(
                path=f"signals.{event_type}.seconds_since_last",
                label=f"{name}: seconds since the last one",
                group=group,
                type="number",
                example="60",
            )
        )
        for prop in sorted(taxonomy[event_type]):
            for span in SPANS:
                attributes.append(
                    Attribute(
                        path=f"signals.{event_type}.{prop}.{PLACEHOLDER}.count_{span}",
                        label=f"{name} with {prop.replace('_', ' ')} …: times {_span_label(span)}",
                        group=group,
                        type="number",
                        example="3",
                        placeholder=prop.replace("_", " "),
                    )
                )
    return attributes


def attribute_catalogue() -> Catalogue:
    """Every attribute a segment may read today."""
    return Catalogue(
        attributes=(
            *_context_attributes(),
            *_preference_attributes(),
            *_signal_attributes(event_taxonomy()),
        )
    )
