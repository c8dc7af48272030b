"""A decoder of IAB GPP strings (Global Privacy Platform): the header and the US sections.

A GPP string is `header~section~section…`. The header lists the sections' ids (a Fibonacci-coded
range); each US section is base64url bits of 2-bit fields, optionally followed by `.` and a GPC
sub-section. Tactful reads the MSPA US National section (usnat, versions 1 and 2), the
California, Virginia, Colorado and Connecticut sections (version 1) and the US Privacy string
(uspv1); other sections (the TCF ones included: send those as `tc_string`) are kept verbatim and
listed as unread. Field layouts: IAB Tech Lab, "Global Privacy Platform String" v1.0 and the
section specifications; tested against the examples of those documents and the vectors of IAB
Tech Lab's reference implementation (iabgpp-java).

What a string says about Tactful's purposes is `gpp_purposes`: US laws are opt-outs, so a
section refuses `advertising` when the visitor opted out of sale, sharing or targeted
advertising, or when its GPC bit is set, and grants it only when every such opt-out the section
applies says "did not opt out"; a known child without consent refuses `personalization`.
"""

import re
from dataclasses import dataclass, field
from typing import Literal

from consent.exceptions import InvalidGppString
from consent.models import ADVERTISING, PERSONALIZATION

MAX_LENGTH = 8192
HEADER_TYPE = 3
_SECTION = re.compile(r"[A-Za-z0-9_-]+")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SIX_BITS = {char: f"{index:06b}" for index, char in enumerate(_ALPHABET)}

SECTION_NAMES = {
    2: "tcfeuv2",
    5: "tcfcav1",
    6: "uspv1",
    7: "usnat",
    8: "usca",
    9: "usva",
    10: "usco",
    11: "usut",
    12: "usct",
}
USP = 6

# 2-bit fields after the 6-bit Version, in order: (name, how many); more than one is a list.
_Layout = tuple[tuple[str, int], ...]
_MSPA = (("MspaCoveredTransaction", 1), ("MspaOptOutOptionMode", 1), ("MspaServiceProviderMode", 1))


def _usnat(sensitive: int, children: int) -> _Layout:
    return (
        ("SharingNotice", 1),
        ("SaleOptOutNotice", 1),
        ("SharingOptOutNotice", 1),
        ("TargetedAdvertisingOptOutNotice", 1),
        ("SensitiveDataProcessingOptOutNotice", 1),
        ("SensitiveDataLimitUseNotice", 1),
        ("SaleOptOut", 1),
        ("SharingOptOut", 1),
        ("TargetedAdvertisingOptOut", 1),
        ("SensitiveDataProcessing", sensitive),
        ("KnownChildSensitiveDataConsents", children),
        ("PersonalDataConsents", 1),
        *_MSPA,
    )


def _state(sensitive: int, children: int) -> _Layout:
    """Virginia, Colorado and Connecticut share one layout but for two list lengths."""
    return (
        ("SharingNotice", 1),
        ("SaleOptOutNotice", 1),
        ("TargetedAdvertisingOptOutNotice", 1),
        ("SaleOptOut", 1),
        ("TargetedAdvertisingOptOut", 1),
        ("SensitiveDataProcessing", sensitive),
        ("KnownChildSensitiveDataConsents", children),
        *_MSPA,
    )


_USCA: _Layout = (
    ("SaleOptOutNotice", 1),
    ("SharingOptOutNotice", 1),
    ("SensitiveDataLimitUseNotice", 1),
    ("SaleOptOut", 1),
    ("SharingOptOut", 1),
    ("SensitiveDataProcessing", 9),
    ("KnownChildSensitiveDataConsents", 2),
    ("PersonalDataConsents", 1),
    *_MSPA,
)
# Section id → {version: layout}, and whether the section may carry a GPC sub-section.
_LAYOUTS: dict[int, dict[int, _Layout]] = {
    7: {1: _usnat(12, 2), 2: _usnat(16, 3)},
    8: {1: _USCA},
    9: {1: _state(8, 1)},
    10: {1: _state(7, 1)},
    12: {1: _state(8, 3)},
}
_HAS_GPC = frozenset({7, 8, 10, 12})
_OPT_OUTS = ("SaleOptOut", "SharingOptOut", "TargetedAdvertisingOptOut")
OPTED_OUT, DID_NOT_OPT_OUT = 1, 2
CHILD_NO_CONSENT = 1

FieldValue = int | list[int] | str
Statement = Literal["granted", "refused"]


class _Bits:
    def __init__(self, segment: str, what: str) -> None:
        if not _SECTION.fullmatch(segment):
            raise InvalidGppString(f"The GPP {what} is not base64url.")
        self.bits = "".join(_SIX_BITS[char] for char in segment)
        self.at = 0
        self.what = what

    def number(self, width: int) -> int:
        if self.at + width > len(self.bits):
            raise InvalidGppString(f"The GPP {self.what} ends too early.")
        value = int(self.bits[self.at : self.at + width], 2)
        self.at += width
        return value

    def ids(self) -> list[int]:
        """A Fibonacci range: a count, then single ids or groups, each an offset from the last."""
        ids: list[int] = []
        last = 0
        for _ in range(self.number(12)):
            is_group = self.number(1) == 1
            start = last + self.fibonacci()
            end = start + self.fibonacci() if is_group else start
            ids.extend(range(start, end + 1))
            last = end
        return ids

    def fibonacci(self) -> int:
        """A Fibonacci-coded integer: bit i (from 0) stands for F(i + 2) = 1, 2, 3, 5…; "11"
        ends it (the second 1 is not a digit)."""
        total, previous, weight, next_weight = 0, 0, 1, 2
        while True:
            bit = self.number(1)
            if bit and previous:
                return total
            if bit:
                total += weight
            weight, next_weight = next_weight, weight + next_weight
            previous = bit


@dataclass(frozen=True, slots=True)
class GppSection:
    """One section Tactful read: its fields by their specification names, and its GPC bit."""

    id: int
    name: str
    version: int
    fields: dict[str, FieldValue]
    gpc: bool | None = None

    def statements(self) -> dict[str, Statement]:
        """What this section says about Tactful's purposes (nothing about the others)."""
        said: dict[str, Statement] = {}
        if self.id == USP:
            opt_out = self.fields["OptOutSale"]
            if opt_out in ("Y", "N"):
                said[ADVERTISING] = "refused" if opt_out == "Y" else "granted"
            return said
        opt_outs = [v for k in _OPT_OUTS if isinstance(v := self.fields.get(k), int) and v != 0]
        if self.gpc or OPTED_OUT in opt_outs:
            said[ADVERTISING] = "refused"
        elif opt_outs and all(value == DID_NOT_OPT_OUT for value in opt_outs):
            said[ADVERTISING] = "granted"
        children = self.fields.get("KnownChildSensitiveDataConsents")
        children = [children] if isinstance(children, int) else children or []
        if CHILD_NO_CONSENT in children:
            said[PERSONALIZATION] = "refused"
        return said

    def summary(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "fields": self.fields,
            "gpc": self.gpc,
        }


@dataclass(frozen=True, slots=True)
class GppString:
    """A decoded GPP string: the header's section ids, the sections read, the others' ids."""

    version: int
    section_ids: tuple[int, ...]
    sections: tuple[GppSection, ...]
    unread: tuple[int, ...] = field(default=())

    @property
    def gpc(self) -> bool:
        """A section says the browser sent Global Privacy Control."""
        return any(section.gpc for section in self.sections)

    def applicable(self, section_ids: list[int] | None) -> tuple[GppSection, ...]:
        """The sections that apply: those the CMP named (`gpp_sid`), else every one read."""
        if section_ids is None:
            return self.sections
        return tuple(s for s in self.sections if s.id in section_ids)

    def summary(self) -> dict[str, object]:
        """JSON-able fields stored with the consent events."""
        return {
            "version": self.version,
            "section_ids": list(self.section_ids),
            "sections": [section.summary() for section in self.sections],
            "unread_section_ids": list(self.unread),
        }


def gpp_purposes(sections: tuple[GppSection, ...]) -> dict[str, bool]:
    """Purpose → granted, as the sections say: any refusal wins, a grant needs no refusal."""
    statements: dict[str, list[Statement]] = {}
    for section in sections:
        for purpose, statement in section.statements().items():
            statements.setdefault(purpose, []).append(statement)
    return {purpose: "refused" not in said for purpose, said in statements.items()}


def _section(section_id: int, encoded: str) -> GppSection:
    name = SECTION_NAMES[section_id]
    if section_id == USP:
        return _usp(encoded)
    core, *subsections = encoded.split(".")
    bits = _Bits(core, f"{name} section")
    version = bits.number(6)
    layout = _LAYOUTS[section_id].get(version)
    if layout is None:
        raise InvalidGppString(f"Version {version} of the GPP {name} section is not supported.")
    fields: dict[str, FieldValue] = {"Version": version}
    for key, count in layout:
        values = [bits.number(2) for _ in range(count)]
        fields[key] = values[0] if count == 1 else values
    gpc = None
    for subsection in subsections:
        sub = _Bits(subsection, f"{name} sub-section")
        if sub.number(2) != 1 or section_id not in _HAS_GPC or gpc is not None:
            raise InvalidGppString(f"The GPP {name} section has an unknown sub-section.")
        gpc = sub.number(1) == 1
    return GppSection(id=section_id, name=name, version=version, fields=fields, gpc=gpc)


def _usp(encoded: str) -> GppSection:
    """The US Privacy string: version 1, then notice, sale opt-out and LSPA, each Y, N or -."""
    if not re.fullmatch(r"1[YN-]{3}", encoded):
        raise InvalidGppString("The GPP uspv1 section is not a US Privacy string (e.g. 1YNN).")
    fields: dict[str, FieldValue] = {
        "Version": 1,
        "Notice": encoded[1],
        "OptOutSale": encoded[2],
        "LspaCovered": encoded[3],
    }
    return GppSection(id=USP, name="uspv1", version=1, fields=fields)


def gpp_string_decode(gpp_string: str) -> GppString:
    """Decode a GPP string, or raise `InvalidGppString` saying why it cannot be."""
    if not isinstance(gpp_string, str) or not gpp_string or len(gpp_string) > MAX_LENGTH:
        raise InvalidGppString("A GPP string is a non-empty string of at most 8192 characters.")
    header, *encoded_sections = gpp_string.split("~")
    bits = _Bits(header, "header")
    if bits.number(6) != HEADER_TYPE:
        raise InvalidGppString("A GPP string starts with its header (type 3).")
    version = bits.number(6)
    if version != 1:
        raise InvalidGppString(f"Only version 1 GPP strings are accepted, not version {version}.")
    # Every id is an offset (at least 1) from the one before: they come sorted and unique.
    section_ids = bits.ids()
    if len(section_ids) != len(encoded_sections):
        raise InvalidGppString(
            f"The GPP header names {len(section_ids)} sections; the string has "
            f"{len(encoded_sections)}."
        )
    read, unread = [], []
    for section_id, encoded in zip(section_ids, encoded_sections, strict=True):
        if not encoded:
            raise InvalidGppString(f"GPP section {section_id} is empty.")
        if section_id in _LAYOUTS or section_id == USP:
            read.append(_section(section_id, encoded))
        else:
            unread.append(section_id)
    return GppString(
        version=version,
        section_ids=tuple(section_ids),
        sections=tuple(read),
        unread=tuple(unread),
    )
