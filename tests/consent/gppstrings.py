"""A tiny GPP string encoder for tests: a header naming sections, and US sections' 2-bit fields."""

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _base64url(bits: str) -> str:
    # As IAB Tech Lab's encoder pads: to whole bytes, then to whole 6-bit characters.
    bits += "0" * (-len(bits) % 8)
    bits += "0" * (-len(bits) % 6)
    return "".join(ALPHABET[int(bits[i : i + 6], 2)] for i in range(0, len(bits), 6))


def fibonacci(number: int) -> str:
    """Zeckendorf digits, smallest Fibonacci number (1) first, then the closing 1."""
    fibs = [1, 2]
    while fibs[-1] <= number:
        fibs.append(fibs[-1] + fibs[-2])
    digits = ["0"] * len(fibs)
    for i in range(len(fibs) - 1, -1, -1):
        if fibs[i] <= number:
            digits[i] = "1"
            number -= fibs[i]
    return "".join(digits).rstrip("0") + "1"


def header(section_ids: list[int]) -> str:
    """A version 1 header listing `section_ids` (each a single id, as offsets)."""
    bits = f"{3:06b}{1:06b}{len(section_ids):012b}"
    last = 0
    for section_id in section_ids:
        bits += "0" + fibonacci(section_id - last)
        last = section_id
    return _base64url(bits)


def us_section(version: int, values: list[int], gpc: bool | None = None) -> str:
    """A US section: its version, then each 2-bit value in order; `gpc` adds the sub-section."""
    core = _base64url(f"{version:06b}" + "".join(f"{value:02b}" for value in values))
    return core if gpc is None else f"{core}.{_base64url('01' + ('1' if gpc else '0'))}"


def gpp_string(sections: dict[int, str]) -> str:
    return "~".join([header(sorted(sections)), *(sections[k] for k in sorted(sections))])


def usnat(
    *, sale: int = 2, sharing: int = 2, targeted: int = 2, child: int = 0, gpc: bool | None = None
) -> str:
    """A usnat v1 section with every notice given and the opt-outs as said."""
    values = [1, 1, 1, 1, 0, 0, sale, sharing, targeted, *[0] * 12, child, 0, 0, 1, 0, 0]
    return us_section(1, values, gpc)
