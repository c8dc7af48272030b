"""Unit tests for the engine's GrowthBook-compatible hashing and bucketing."""

import pytest

from personalization.engine.hashing import (
    bucket_ranges,
    choose_variation,
    fnv1a32,
    hash_unit,
    in_range,
)

# GrowthBook's shared "hash" cases (packages/sdk-js/test/cases.json): seed, value, version, hash.
HASH_CASES: list[tuple[str, str, int, float | None]] = [
    ("", "a", 1, 0.22),
    ("", "b", 1, 0.077),
    ("b", "a", 1, 0.946),
    ("ef", "d", 1, 0.652),
    ("asdf", "8952klfjas09ujk", 1, 0.549),
    ("", "123", 1, 0.011),
    ("", '___)((*":&', 1, 0.563),
    ("seed", "a", 2, 0.0505),
    ("seed", "b", 2, 0.2696),
    ("foo", "ab", 2, 0.2575),
    ("foo", "def", 2, 0.2019),
    ("89123klj", "8952klfjas09ujkasdf", 2, 0.124),
    ("90850943850283058242805", "123", 2, 0.7516),
    ("()**(%$##$%#$#", '___)((*":&', 2, 0.0128),
    ("abc", "def", 99, None),
]

# GrowthBook's shared "getBucketRange" cases: (name, n, coverage, weights, ranges).
BUCKET_CASES: list[tuple[str, int, float, list[float] | None, list[tuple[float, float]]]] = [
    ("normal 50/50", 2, 1, None, [(0, 0.5), (0.5, 1)]),
    ("reduced coverage", 2, 0.5, None, [(0, 0.25), (0.5, 0.75)]),
    ("zero coverage", 2, 0, None, [(0, 0), (0.5, 0.5)]),
    ("4 variations", 4, 1, None, [(0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1)]),
    ("uneven weights", 2, 1, [0.4, 0.6], [(0, 0.4), (0.4, 1)]),
    ("uneven weights, 3 variations", 3, 1, [0.2, 0.3, 0.5], [(0, 0.2), (0.2, 0.5), (0.5, 1)]),
    (
        "uneven weights, reduced coverage, 3 variations",
        3,
        0.2,
        [0.2, 0.3, 0.5],
        [(0, 0.04), (0.2, 0.26), (0.5, 0.6)],
    ),
    ("negative coverage", 2, -0.2, None, [(0, 0), (0.5, 0.5)]),
    ("coverage above 1", 2, 1.5, None, [(0, 0.5), (0.5, 1)]),
    ("weights sum below 1", 2, 1, [0.4, 0.1], [(0, 0.5), (0.5, 1)]),
    ("weights sum above 1", 2, 1, [0.7, 0.6], [(0, 0.5), (0.5, 1)]),
    (
        "weights.length not equal to num variations",
        4,
        1,
        [0.4, 0.4, 0.2],
        [(0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1)],
    ),
    ("weights sum almost equals 1", 2, 1, [0.4, 0.5999], [(0, 0.4), (0.4, 0.9999)]),
]


@pytest.mark.parametrize(("seed", "value", "version", "expected"), HASH_CASES)
def test_hash_unit__shared_growthbook_case__gives_the_specified_hash(
    seed: str, value: str, version: int, expected: float | None
) -> None:
    # Given a case from GrowthBook's shared SDK test suite
    # When the value is hashed
    result = hash_unit(seed, value, version)
    # Then it lands where every GrowthBook SDK puts it
    assert result == expected


def test_hash_unit__boolean_version__is_unknown() -> None:
    # Given True, which Python would otherwise treat as version 1
    # When used as a hash version
    result = hash_unit("seed", "a", True)
    # Then it is not a version, as JavaScript's === would say
    assert result is None


def test_hash_unit__any_input__stays_in_unit_interval() -> None:
    # Given many visitor ids
    ids = [f"visitor-{i}" for i in range(2000)]
    # When hashed with both versions
    hashes = [hash_unit("exp", i, v) for i in ids for v in (1, 2)]
    # Then every hash is in [0, 1)
    assert all(h is not None and 0 <= h < 1 for h in hashes)


def _fnv_of_code_units(units: list[int]) -> int:
    value = 0x811C9DC5
    for unit in units:
        value = ((value ^ unit) * 0x01000193) & 0xFFFFFFFF
    return value


def test_fnv1a32__non_ascii_text__hashes_utf16_code_units() -> None:
    # Given text with a BMP character and an astral character (a surrogate pair in UTF-16)
    # When hashed
    results = [fnv1a32("a"), fnv1a32("é"), fnv1a32("x\U0001f600")]
    # Then the values are FNV-1a over JavaScript's charCodeAt units, not over UTF-8 bytes
    assert results == [
        _fnv_of_code_units([0x61]),
        _fnv_of_code_units([0xE9]),
        _fnv_of_code_units([0x78, 0xD83D, 0xDE00]),
    ]


def test_fnv1a32__lone_surrogate__hashes_without_raising() -> None:
    # Given a string holding a lone surrogate, which JavaScript strings allow
    # When hashed
    result = fnv1a32("\ud800")
    # Then it hashes like any code unit
    assert result == _fnv_of_code_units([0xD800])


@pytest.mark.parametrize(
    ("n", "coverage", "weights", "expected"),
    [case[1:] for case in BUCKET_CASES],
    ids=[case[0] for case in BUCKET_CASES],
)
def test_bucket_ranges__shared_growthbook_case__gives_the_specified_ranges(
    n: int, coverage: float, weights: list[float] | None, expected: list[tuple[float, float]]
) -> None:
    # Given a case from GrowthBook's shared SDK test suite
    # When the ranges are computed
    ranges = bucket_ranges(n, coverage, weights)
    # Then they are the specified ones (to float precision)
    assert [r[0] for r in ranges] == pytest.approx([e[0] for e in expected])
    assert [r[1] for r in ranges] == pytest.approx([e[1] for e in expected])


def test_bucket_ranges__negative_weight__falls_back_to_equal_weights() -> None:
    """growthbook's Python SDK rejects weights that aren't finite and non-negative; the
    JavaScript SDK would use [1.2, -0.2] and produce an inverted range. We follow Python."""
    # Given weights that sum to 1 but include a negative weight
    # When the ranges are computed
    ranges = bucket_ranges(2, 1, [1.2, -0.2])
    # Then equal weights are used instead
    assert ranges == [(0, 0.5), (0.5, 1)]


@pytest.mark.parametrize("weights", [[float("nan"), 1.0], [True, False], [10**400, 0]])
def test_bucket_ranges__unusable_weights__fall_back_to_equal_weights(weights: list[float]) -> None:
    # Given weights that are not finite numbers
    # When the ranges are computed
    ranges = bucket_ranges(2, 1, weights)
    # Then equal weights are used instead
    assert ranges == [(0, 0.5), (0.5, 1)]


def test_bucket_ranges__no_variations__is_empty() -> None:
    # Given zero variations
    # When the ranges are computed
    ranges = bucket_ranges(0, 1, None)
    # Then there are none
    assert ranges == []


def test_choose_variation__hash_in_a_range__gives_its_index() -> None:
    # Given 50/50 ranges at 50% coverage
    ranges = bucket_ranges(2, 0.5, None)
    # When hashes fall inside, at the edges, and in the uncovered gaps
    results = [choose_variation(n, ranges) for n in (0.0, 0.2499, 0.25, 0.5, 0.7, 0.9)]
    # Then ranges are half-open and the gaps choose nothing
    assert results == [0, 0, -1, 1, 1, -1]


def test_in_range__edges__are_half_open() -> None:
    # Given the range [0.2, 0.4)
    bucket = (0.2, 0.4)
    # When testing its edges
    results = [in_range(0.2, bucket), in_range(0.4, bucket), in_range(0.3, bucket)]
    # Then the start is inside and the end is not
    assert results == [True, False, True]
