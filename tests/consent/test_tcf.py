"""Tests of the TC string decoder against IAB Tech Lab's published vectors (iabtcf-java)."""

import base64
from datetime import UTC, datetime

import pytest

from consent.exceptions import InvalidTcString
from consent.tcf import tc_string_decode

# Vectors and expected values from IAB Tech Lab's reference decoder, TCStringV2Test.java.
ENCODER_EXAMPLE = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA"
BIT_FIELDS = "COrEAV4OrXx94ACABBENAHCIAD-AAAAAAACAAxAAAAgAIAwgAgAAAAEAgQAAAAAEAYQAQAAAACAAAABAAA"
TWO_RANGES = (
    "COwBOpCOwBOpCLqAAAENAPCAAAAAAAAAAAAAFfwAYFfAV-BVkAGBVYFWAAA."
    "IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAE"
    "QAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw"
)
LI_RANGE = "COv__-wOv__-wC2AAAENAPCgAAAAAAAAAAAAA_wAQA_gEBABAEAAAA"
PURPOSES_1_2 = "COwxsONOwxsONKpAAAENAdCAAMAAAAAAAAAAAAAAAAAA"


def test_tc_string_decode__encoder_example__reads_every_core_field():
    # Given the string IAB's encoder produced for the reference test

    # When
    tc = tc_string_decode(ENCODER_EXAMPLE)

    # Then
    assert tc.version == 2
    assert tc.created == datetime(2020, 1, 26, 17, 1, tzinfo=UTC)
    assert tc.last_updated == datetime(2021, 2, 2, 17, 1, tzinfo=UTC)
    assert (tc.cmp_id, tc.cmp_version, tc.consent_screen) == (675, 2, 1)
    assert (tc.vendor_list_version, tc.policy_version) == (15, 2)
    assert (tc.consent_language, tc.publisher_cc) == ("EN", "AA")
    assert tc.is_service_specific is False
    assert tc.purpose_one_treatment is True
    assert tc.use_non_standard_stacks is False
    assert tc.special_features == {1}
    assert tc.purposes_consent == {2, 10}
    assert tc.purposes_legitimate_interest == {2, 9}


def test_tc_string_decode__bit_field_vendors__reads_purposes_and_vendors():
    # Given

    # When
    tc = tc_string_decode(BIT_FIELDS)

    # Then
    assert tc.purposes_consent == {3, 4, 5, 6, 7, 8, 9}
    assert tc.vendors_consent == {23, 37, 47, 48, 53, 65, 98}
    assert tc.vendors_legitimate_interest == {37, 47, 48, 53, 65, 98, 129}


@pytest.mark.parametrize(
    ("tc_string", "expected"),
    [(TWO_RANGES, {"vendors_consent": {702, 703}}), (LI_RANGE, {"vendors_li": {128}})],
)
def test_tc_string_decode__range_encoded_vendors__expands_the_ranges(tc_string, expected):
    # Given

    # When
    tc = tc_string_decode(tc_string)

    # Then
    if "vendors_consent" in expected:
        assert tc.vendors_consent == expected["vendors_consent"]
    else:
        assert tc.vendors_legitimate_interest == expected["vendors_li"]


def test_tc_string_decode__purposes_consent__reads_purposes_1_and_2():
    # Given

    # When
    tc = tc_string_decode(PURPOSES_1_2)

    # Then
    assert {1, 2} <= tc.purposes_consent


def test_tc_string_decode__summary__is_json_able_without_vendor_lists():
    # Given
    tc = tc_string_decode(BIT_FIELDS)

    # When
    summary = tc.summary()

    # Then
    assert summary["purposes_consent"] == [3, 4, 5, 6, 7, 8, 9]
    assert summary["vendors_consent_count"] == 7
    assert summary["cmp_id"] == 2


def _v1_string() -> str:
    return base64.urlsafe_b64encode(bytes([0b00000100]) + bytes(30)).decode().rstrip("=")


@pytest.mark.parametrize(
    "tc_string",
    ["", "!!!!", "C", ENCODER_EXAMPLE[:20], "x" * 9000, _v1_string(), f"{BIT_FIELDS}.{BIT_FIELDS}"],
    ids=["empty", "not-base64", "too-short", "truncated", "too-long", "version-1", "two-cores"],
)
def test_tc_string_decode__invalid__raises_a_clear_error(tc_string):
    # Given a string that is not a valid TCF v2 TC string

    # When
    with pytest.raises(InvalidTcString) as raised:
        tc_string_decode(tc_string)

    # Then
    assert raised.value.code == "invalid_tc_string"
    assert raised.value.message
