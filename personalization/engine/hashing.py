"""Deterministic bucketing that assigns visitors exactly as GrowthBook's SDKs do."""

import math
import sys

__all__ = ["bucket_ranges", "choose_variation", "fnv1a32", "hash_unit", "in_range"]

_FNV_OFFSET_BASIS = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MASK_32 = 0xFFFFFFFF
# A weight vector whose sum strays further from 1 than this is replaced by equal weights.
_WEIGHT_SUM_MIN = 0.99
_WEIGHT_SUM_MAX = 1.01
# GrowthBook's JavaScript SDK hashes UTF-16 code units (charCodeAt), so Python must too.
_UTF16_NATIVE = "utf-16-le" if sys.byteorder == "little" else "utf-16-be"


def fnv1a32(text: str) -> int:
    """The 32-bit FNV-1a hash of text's UTF-16 code units."""
    value = _FNV_OFFSET_BASIS
    if text.isascii():
        units: bytes | memoryview = text.encode("ascii")
    else:
        # Lone surrogates are legal in JavaScript strings and hash as their own code units.
        units = memoryview(text.encode(_UTF16_NATIVE, "surrogatepass")).cast("H")
    for unit in units:
        value = ((value ^ unit) * _FNV_PRIME) & _MASK_32
    return value


def hash_unit(seed: str, value: str, version: int) -> float | None:
    """Map a seed and a hash value to [0, 1), or None for a hash version GrowthBook doesn't know."""
    # JavaScript compares versions with ===, so true is not version 1.
    if isinstance(version, bool):
        return None
    if version == 2:
        return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv1a32(value + seed) % 1000) / 1000
    return None


def in_range(n: float, bucket: tuple[float, float]) -> bool:
    """Whether n falls in the half-open bucket [start, end)."""
    return bucket[0] <= n < bucket[1]


def choose_variation(n: float, ranges: list[tuple[float, float]]) -> int:
    """The index of the first range that holds n, or -1 when n is in none of them."""
    for index, bucket in enumerate(ranges):
        if bucket[0] <= n < bucket[1]:
            return index
    return -1


def bucket_ranges(
    n: int, coverage: float, weights: list[float] | None
) -> list[tuple[float, float]]:
    """Split [0, 1) among n variations by weight, each range covering only `coverage` of its share.

    Coverage is clamped to [0, 1]. Weights fall back to equal shares unless they are a list of n
    finite, non-negative numbers summing to 1 (within 0.01). That matches growthbook's Python
    `getBucketRanges`, which is stricter than the JavaScript SDK: JavaScript only checks length
    and sum, so weights such as [1.2, -0.2] would produce an inverted range there.
    """
    if coverage < 0:
        coverage = 0
    if coverage > 1:
        coverage = 1
    chosen = weights if weights is not None and _valid_weights(weights, n) else _equal_weights(n)
    ranges = []
    cumulative = 0.0
    for weight in chosen:
        start = cumulative
        cumulative += weight
        ranges.append((start, start + coverage * weight))
    return ranges


def _equal_weights(n: int) -> list[float]:
    return [1 / n] * n if n >= 1 else []


def _valid_weights(weights: list[float], n: int) -> bool:
    if not isinstance(weights, list) or len(weights) != n:
        return False
    try:
        if not all(
            isinstance(weight, int | float)
            and not isinstance(weight, bool)
            and math.isfinite(weight)
            and weight >= 0
            for weight in weights
        ):
            return False
        # sum(), not a running total, so that borderline sums agree with growthbook's Python SDK.
        return _WEIGHT_SUM_MIN <= sum(weights) <= _WEIGHT_SUM_MAX
    except OverflowError:
        # Integers too large for a float are not usable weights.
        return False
