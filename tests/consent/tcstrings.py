"""A tiny TC string encoder for tests: a core segment with the given purposes consented."""

import base64


def tc_string(purposes: set[int], *, cmp_id: int = 300, created: int = 16_000_000_000) -> str:
    fields = [
        (2, 6),  # version
        (created, 36),
        (created, 36),
        (cmp_id, 12),
        (1, 12),  # cmp version
        (0, 6),  # consent screen
        (4 * 64 + 13, 12),  # "EN"
        (100, 12),  # vendor list version
        (4, 6),  # policy version
        (1, 1),  # service specific
        (0, 1),
        (0, 12),  # special features
    ]
    bits = "".join(f"{value:0{width}b}" for value, width in fields)
    bits += "".join("1" if i in purposes else "0" for i in range(1, 25))
    bits += "0" * 24  # legitimate interests
    bits += "0" + "0" * 12  # purpose one treatment, publisher cc "AA"
    bits += "0" * 16 + "0"  # vendor consents: none, bit field
    bits += "0" * 16 + "0"  # vendor legitimate interests: none
    bits += "0" * 12  # no publisher restrictions
    bits += "0" * (-len(bits) % 8)
    data = int(bits, 2).to_bytes(len(bits) // 8, "big")
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
