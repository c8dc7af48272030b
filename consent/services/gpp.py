"""Intake of a host CMP's GPP string: stored verbatim with its decoded fields, per purpose."""

from django.db import transaction

from consent.gpp import GppString, gpp_purposes
from consent.models import Source, Subject
from consent.selectors import ConsentSnapshot
from consent.services.consent import cmp_signal_record, consent_record_gpc


def consent_record_gpp(
    *,
    subject: Subject,
    gpp_string: str,
    decoded: GppString,
    applicable: list[int] | None = None,
    notice_version: int | None = None,
) -> ConsentSnapshot:
    """Accept a host CMP's GPP string, like a TC string (`cmp_signal_record`).

    The applicable sections (`applicable`, the CMP's `gpp_sid`; else every section read) say
    what they say about purposes (`consent.gpp.gpp_purposes`): one `signal` event per such
    purpose, of source `gpp`, with the string verbatim and its decoded fields. The visitor's own
    choices keep precedence. A GPC bit in an applicable section is Global Privacy Control, and
    is honoured as the header is (`consent_record_gpc`). The same string again records nothing.
    """
    sections = decoded.applicable(applicable)
    with transaction.atomic():
        if any(section.gpc for section in sections):
            consent_record_gpc(subject=subject)
        return cmp_signal_record(
            subject=subject,
            source=Source.GPP,
            raw_signal=gpp_string,
            signal_data={**decoded.summary(), "applicable_section_ids": applicable},
            granted=gpp_purposes(sections),
            notice_version=notice_version,
        )
