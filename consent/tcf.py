"""A small decoder of IAB TCF v2 TC strings (the core segment, plus the segments' types).

Only what Tactful needs is kept: who wrote the string, when, and which TCF purposes and special
features the visitor consented to. Field layout: IAB Tech Lab, "Consent string and vendor list
formats v2". Tested against the vectors of IAB Tech Lab's reference decoder (iabtcf-java).
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from consent.exceptions import InvalidTcString

MAX_LENGTH = 8192
_CORE = 0


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.bits = "".join(f"{byte:08b}" for byte in data)
        self.at = 0

    def number(self, width: int) -> int:
        if self.at + width > len(self.bits):
            raise InvalidTcString("The TC string ends too early.")
        value = int(self.bits[self.at : self.at + width], 2)
        self.at += width
        return value

    def flag(self) -> bool:
        return self.number(1) == 1

    def ids(self, width: int) -> frozenset[int]:
        """A bit field: bit i (from 0) set means id i + 1."""
        return frozenset(i + 1 for i in range(width) if self.flag())

    def letters(self) -> str:
        return "".join(chr(ord("A") + self.number(6)) for _ in range(2))

    def moment(self) -> datetime:
        return datetime.fromtimestamp(self.number(36) / 10, tz=UTC)

    def vendors(self) -> frozenset[int]:
        """A vendor section: MaxVendorId, then a bit field or a list of ranges."""
        max_vendor = self.number(16)
        if not self.flag():
            return self.ids(max_vendor)
        vendors: set[int] = set()
        for _ in range(self.number(12)):
            is_range = self.flag()
            start = self.number(16)
            end = self.number(16) if is_range else start
            if end < start or end > max_vendor:
                raise InvalidTcString("The TC string has an invalid vendor range.")
            vendors.update(range(start, end + 1))
        return frozenset(vendors)


@dataclass(frozen=True, slots=True)
class TcString:
    """The fields of a TC string's core segment that Tactful keeps."""

    version: int
    created: datetime
    last_updated: datetime
    cmp_id: int
    cmp_version: int
    consent_screen: int
    consent_language: str
    vendor_list_version: int
    policy_version: int
    is_service_specific: bool
    use_non_standard_stacks: bool
    special_features: frozenset[int]
    purposes_consent: frozenset[int]
    purposes_legitimate_interest: frozenset[int]
    purpose_one_treatment: bool
    publisher_cc: str
    vendors_consent: frozenset[int]
    vendors_legitimate_interest: frozenset[int]

    def summary(self) -> dict[str, object]:
        """JSON-able fields stored with the consent events (vendors only as counts)."""
        return {
            "version": self.version,
            "created": self.created.isoformat(),
            "last_updated": self.last_updated.isoformat(),
            "cmp_id": self.cmp_id,
            "cmp_version": self.cmp_version,
            "consent_language": self.consent_language,
            "vendor_list_version": self.vendor_list_version,
            "policy_version": self.policy_version,
            "is_service_specific": self.is_service_specific,
            "special_features": sorted(self.special_features),
            "purposes_consent": sorted(self.purposes_consent),
            "purposes_legitimate_interest": sorted(self.purposes_legitimate_interest),
            "purpose_one_treatment": self.purpose_one_treatment,
            "publisher_cc": self.publisher_cc,
            "vendors_consent_count": len(self.vendors_consent),
            "vendors_legitimate_interest_count": len(self.vendors_legitimate_interest),
        }


def _segment_bytes(segment: str) -> bytes:
    if not segment or len(segment) > MAX_LENGTH:
        raise InvalidTcString("The TC string has an empty or oversized segment.")
    try:
        return base64.b64decode(segment + "=" * (-len(segment) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidTcString("The TC string is not base64url.") from exc


def tc_string_decode(tc_string: str) -> TcString:
    """Decode a TCF v2 TC string, or raise `InvalidTcString` saying why it cannot be."""
    if not isinstance(tc_string, str) or not tc_string or len(tc_string) > MAX_LENGTH:
        raise InvalidTcString("A TC string is a non-empty string of at most 8192 characters.")
    core, *others = tc_string.split(".")
    bits = _Bits(_segment_bytes(core))
    version = bits.number(6)
    if version != 2:
        raise InvalidTcString(f"Only TCF v2 TC strings are accepted, not version {version}.")
    decoded = TcString(
        version=version,
        created=bits.moment(),
        last_updated=bits.moment(),
        cmp_id=bits.number(12),
        cmp_version=bits.number(12),
        consent_screen=bits.number(6),
        consent_language=bits.letters(),
        vendor_list_version=bits.number(12),
        policy_version=bits.number(6),
        is_service_specific=bits.flag(),
        use_non_standard_stacks=bits.flag(),
        special_features=bits.ids(12),
        purposes_consent=bits.ids(24),
        purposes_legitimate_interest=bits.ids(24),
        purpose_one_treatment=bits.flag(),
        publisher_cc=bits.letters(),
        vendors_consent=bits.vendors(),
        vendors_legitimate_interest=bits.vendors(),
    )
    for segment in others:
        # Other segments (disclosed or allowed vendors, publisher purposes) are kept verbatim
        # in the raw string; they must still be well-formed and never a second core segment.
        if _Bits(_segment_bytes(segment)).number(3) == _CORE:
            raise InvalidTcString("A TC string has one core segment.")
    return decoded
