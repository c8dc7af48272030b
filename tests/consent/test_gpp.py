"""The GPP string decoder, against the IAB GPP specification's examples and the vectors of IAB
Tech Lab's reference implementation (iabgpp-java), and what a string says about purposes."""

import pytest

from consent.exceptions import InvalidGppString
from consent.gpp import gpp_purposes, gpp_string_decode
from tests.consent.gppstrings import gpp_string, header, us_section, usnat

# "Global Privacy Platform String" v1.0, GPP String Examples 1 to 3 (a TCF EU v2 or Canadian TCF
# section, and a US Privacy string).
SPEC_EXAMPLE_1 = "DBABMA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"
SPEC_EXAMPLE_2 = "DBACNYA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN"
SPEC_EXAMPLE_3 = "DBABjw~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN"
# A usnat v1 string as CMPs send it: notices given, no opt-out, GPC sub-section false.
USNAT_IN_THE_WILD = "DBABLA~BVQqAAAAAgA.QA"
# Section vectors of iabgpp-java's UsNatTest, UsCaTest, UsVaTest, UsCoTest and UsCtTest.
USNAT_V1 = "BAAAVVVVUQA.QA"
USNAT_V2 = "CVVVkkkkkpFY.YA"
USNAT_V2_WITH_V1_VALUES = "CAAAVVVVAFBA.QA"
USCA = "BVWSSSVY.YA"
USVA = "BVWSSVY"
USCO = "BVWSSVg.YA"
USCT = "BVWSSZFg.YA"


def test_header__spec_examples__our_test_encoder_writes_them_too():
    # The test encoder used below agrees with the specification's own headers
    assert header([2]) == "DBABMA"
    assert header([2, 6]) == "DBACNYA"
    assert header([7]) == "DBABLA"


@pytest.mark.parametrize(
    ("string", "section_ids", "unread"),
    [(SPEC_EXAMPLE_1, (2,), (2,)), (SPEC_EXAMPLE_2, (2, 6), (2,)), (SPEC_EXAMPLE_3, (5, 6), (5,))],
)
def test_gpp_string_decode__spec_examples__reads_header_and_us_privacy(string, section_ids, unread):
    # When the specification's examples are decoded (example 3 names a range: 5 to 6)
    decoded = gpp_string_decode(string)
    # Then the header's sections are found; TCF sections are kept, not read
    assert decoded.version == 1
    assert decoded.section_ids == section_ids
    assert decoded.unread == unread
    if 6 in section_ids:
        (usp,) = decoded.sections
        assert usp.name == "uspv1"
        assert usp.fields == {"Version": 1, "Notice": "Y", "OptOutSale": "N", "LspaCovered": "N"}
        assert gpp_purposes(decoded.sections) == {"advertising": True}
    else:
        assert decoded.sections == ()


def test_gpp_string_decode__usnat_v2_reference_vector__every_field():
    # When IAB's usnat version 2 vector is decoded
    (section,) = gpp_string_decode(f"{header([7])}~{USNAT_V2}").sections
    # Then every field is read as the reference implementation reads it
    assert (section.name, section.version, section.gpc) == ("usnat", 2, True)
    assert section.fields == {
        "Version": 2,
        "SharingNotice": 1,
        "SaleOptOutNotice": 1,
        "SharingOptOutNotice": 1,
        "TargetedAdvertisingOptOutNotice": 1,
        "SensitiveDataProcessingOptOutNotice": 1,
        "SensitiveDataLimitUseNotice": 1,
        "SaleOptOut": 1,
        "SharingOptOut": 1,
        "TargetedAdvertisingOptOut": 1,
        "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2],
        "KnownChildSensitiveDataConsents": [2, 1, 0],
        "PersonalDataConsents": 1,
        "MspaCoveredTransaction": 1,
        "MspaOptOutOptionMode": 1,
        "MspaServiceProviderMode": 2,
    }
    # And it opted out, with GPC, and a known child without consent
    assert gpp_purposes((section,)) == {"advertising": False, "personalization": False}


@pytest.mark.parametrize(
    ("section", "sensitive", "children"),
    [
        (USNAT_V1, [1] * 12, [1, 1]),
        (USNAT_V2_WITH_V1_VALUES, [1] * 12 + [0] * 4, [1, 1, 0]),
    ],
)
def test_gpp_string_decode__usnat_versions__list_lengths_follow_the_version(
    section, sensitive, children
):
    # When a version 1 and a version 2 section are decoded
    (decoded,) = gpp_string_decode(f"{header([7])}~{section}").sections
    # Then each reads the lists of its own version
    assert decoded.fields["SensitiveDataProcessing"] == sensitive
    assert decoded.fields["KnownChildSensitiveDataConsents"] == children
    assert decoded.gpc is False


@pytest.mark.parametrize(
    ("section_id", "section", "expected", "gpc"),
    [
        (
            8,
            USCA,
            {
                "SaleOptOutNotice": 1,
                "SharingOptOutNotice": 1,
                "SensitiveDataLimitUseNotice": 1,
                "SaleOptOut": 1,
                "SharingOptOut": 1,
                "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2, 1, 0],
                "KnownChildSensitiveDataConsents": [2, 1],
                "PersonalDataConsents": 1,
            },
            True,
        ),
        (
            9,
            USVA,
            {
                "SharingNotice": 1,
                "SaleOptOut": 1,
                "TargetedAdvertisingOptOut": 1,
                "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2, 1],
                "KnownChildSensitiveDataConsents": 1,
            },
            None,
        ),
        (
            10,
            USCO,
            {
                "SharingNotice": 1,
                "SaleOptOut": 1,
                "TargetedAdvertisingOptOut": 1,
                "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2],
                "KnownChildSensitiveDataConsents": 1,
            },
            True,
        ),
        (
            12,
            USCT,
            {
                "SharingNotice": 1,
                "SaleOptOut": 1,
                "TargetedAdvertisingOptOut": 1,
                "SensitiveDataProcessing": [2, 1, 0, 2, 1, 0, 2, 1],
                "KnownChildSensitiveDataConsents": [2, 1, 0],
            },
            True,
        ),
    ],
)
def test_gpp_string_decode__state_reference_vectors__fields_and_gpc(
    section_id, section, expected, gpc
):
    # When a state section of the reference implementation's tests is decoded
    (decoded,) = gpp_string_decode(f"{header([section_id])}~{section}").sections
    # Then its fields are the reference's, and its MSPA fields close it
    assert decoded.version == 1
    assert decoded.fields.items() >= expected.items()
    assert decoded.fields["MspaCoveredTransaction"] == 1
    assert decoded.fields["MspaOptOutOptionMode"] == 1
    assert decoded.fields["MspaServiceProviderMode"] == 2
    assert decoded.gpc is gpc
    # And an opt-out refuses advertising
    assert gpp_purposes((decoded,))["advertising"] is False


def test_gpp_string_decode__usnat_in_the_wild__no_opt_out_grants_advertising():
    # When the usnat string CMPs commonly send is decoded
    decoded = gpp_string_decode(USNAT_IN_THE_WILD)
    # Then notices were given, nobody opted out, GPC is off
    (section,) = decoded.sections
    assert (section.fields["SaleOptOut"], section.fields["SharingOptOut"]) == (2, 2)
    assert section.fields["TargetedAdvertisingOptOut"] == 2
    assert decoded.gpc is False
    assert gpp_purposes(decoded.sections) == {"advertising": True}


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (usnat(sale=1), {"advertising": False}),
        (usnat(targeted=1), {"advertising": False}),
        (usnat(gpc=True), {"advertising": False}),
        (usnat(), {"advertising": True}),
        (usnat(sale=0, sharing=0, targeted=0), {}),
        (usnat(child=1), {"advertising": True, "personalization": False}),
    ],
)
def test_gpp_purposes__usnat_choices__mapped_to_purposes(section, expected):
    # When a section's opt-outs, GPC bit or child consents are read
    decoded = gpp_string_decode(gpp_string({7: section}))
    # Then they say this about Tactful's purposes (and nothing about the others)
    assert gpp_purposes(decoded.sections) == expected


def test_gpp_purposes__sections_disagree__a_refusal_wins_and_gpp_sid_selects():
    # Given a usnat section that opted out and a California one that did not
    california = us_section(1, [1, 1, 0, 2, 2, *[0] * 9, 0, 0, 0, 1, 0, 0])
    decoded = gpp_string_decode(gpp_string({7: usnat(sale=1), 8: california}))
    # Then together they refuse, and only California (the CMP's gpp_sid) grants
    assert gpp_purposes(decoded.applicable(None)) == {"advertising": False}
    assert gpp_purposes(decoded.applicable([8])) == {"advertising": True}
    assert decoded.applicable([2]) == ()


@pytest.mark.parametrize(
    ("string", "message"),
    [
        ("", "non-empty"),
        ("D" * 8193, "8192"),
        ("DBABMA", "names 1 sections; the string has 0"),
        ("DBACNYA~1YNN", "names 2 sections; the string has 1"),
        ("BBABMA~x", "header (type 3)"),
        ("DCABMA~x", "version 1"),
        ("DBA", "header ends too early"),
        ("DB*BMA~x", "not base64url"),
        (f"{header([7])}~BVQq", "ends too early"),
        (f"{header([7])}~DVVVkkkkkpFY", "Version 3 of the GPP usnat section"),
        (f"{header([7])}~BVQqAAAAAgA.gA", "unknown sub-section"),
        (f"{header([7])}~BVQqAAAAAgA.QA.QA", "unknown sub-section"),
        (f"{header([9])}~{USVA}.YA", "unknown sub-section"),
        (f"{header([6])}~2YNN", "US Privacy string"),
        (f"{header([6])}~", "empty"),
    ],
)
def test_gpp_string_decode__malformed__refused_saying_why(string, message):
    with pytest.raises(InvalidGppString, match=message.replace("(", r"\(").replace(")", r"\)")):
        gpp_string_decode(string)
