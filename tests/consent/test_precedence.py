"""Tests of the precedence between the visitor's choice, GPC, TC strings, expiry and defaults."""

from datetime import timedelta

import orjson
import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from consent.models import ConsentEvent, ConsentState, Source, Subject
from consent.precedence import GPC_RECONSENT_CONTROL
from consent.selectors import consent_resolve
from consent.services import (
    consent_for_request,
    consent_record_gpc,
    consent_record_tcf,
    consent_update,
)
from consent.tcf import tc_string_decode
from consent.tokens import SUBJECT_COOKIE, subject_token_sign
from tests.consent.tcstrings import tc_string

PERSONALIZATION_TCF = tc_string({1, 5, 6})
EVERYTHING_TCF = tc_string(set(range(1, 11)))


def _gpc_request(subject):
    request = RequestFactory().get("/", headers={"Sec-GPC": "1"})
    request.COOKIES[SUBJECT_COOKIE] = subject_token_sign(subject.public_id)
    return request


def _tcf(subject, value):
    return consent_record_tcf(subject=subject, tc_string=value, decoded=tc_string_decode(value))


def test_consent_state__no_choice__is_default_and_asked(subject):
    # Given

    # When
    snapshot = consent_resolve(subject_id=subject.public_id)

    # Then
    assert snapshot.basis["necessary"] == "always_on"
    assert snapshot.basis["personalization"] == "default"
    assert snapshot.ask == ("personalization", "measurement", "advertising")


def test_consent_state__own_refusal__is_remembered_not_asked(subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": False}, source=Source.BANNER)

    # When
    snapshot = consent_resolve(subject_id=subject.public_id)

    # Then
    assert (snapshot.purposes["measurement"], snapshot.basis["measurement"]) == (False, "choice")
    assert "measurement" not in snapshot.ask


def test_consent_state__lapsed_grant__is_expired_and_asked_again(subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.API)
    ConsentState.objects.filter(subject=subject).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    # When
    snapshot = consent_resolve(subject_id=subject.public_id)

    # Then
    assert (snapshot.purposes["measurement"], snapshot.basis["measurement"]) == (False, "expired")
    assert "measurement" in snapshot.ask


def test_gpc__over_an_own_grant__wins(subject):
    # Given
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)

    # When
    consent_record_gpc(subject=subject)

    # Then
    snapshot = consent_resolve(subject_id=subject.public_id)
    assert (snapshot.purposes["advertising"], snapshot.basis["advertising"]) == (False, "gpc")


def test_gpc__ordinary_grant_after_the_signal__stays_off(subject):
    # Given
    consent_record_gpc(subject=subject)

    # When a banner grants advertising without saying anything about the signal
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)

    # Then it is recorded, but GPC keeps it off
    assert subject.consent_events.filter(kind="grant", purpose__key="advertising").exists()
    snapshot = consent_for_request(_gpc_request(subject))
    assert (snapshot.purposes["advertising"], snapshot.basis["advertising"]) == (False, "gpc")


def test_gpc__explicit_reconsent_in_the_privacy_center__is_honoured(subject):
    # Given a grant, then the signal
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)
    consent_record_gpc(subject=subject)

    # When the visitor re-consents, told of the conflict
    consent_update(
        subject=subject,
        purposes={"advertising": True},
        source=Source.PRIVACY_CENTER,
        control=GPC_RECONSENT_CONTROL,
    )

    # Then even requests with the header get advertising, as a new event says
    snapshot = consent_for_request(_gpc_request(subject))
    assert (snapshot.purposes["advertising"], snapshot.basis["advertising"]) == (True, "choice")
    last = subject.consent_events.order_by("-sequence").first()
    assert (last.kind, last.control) == ("grant", GPC_RECONSENT_CONTROL)


def test_tcf__no_own_choice__grants_the_mapped_purposes_only(subject):
    # Given a TC string with consent for TCF purposes 1, 5 and 6 only

    # When
    snapshot = _tcf(subject, PERSONALIZATION_TCF)

    # Then
    assert (snapshot.purposes["personalization"], snapshot.basis["personalization"]) == (
        True,
        "tcf",
    )
    assert snapshot.purposes["measurement"] is False
    assert snapshot.purposes["advertising"] is False
    events = subject.consent_events.filter(source=Source.TCF)
    assert {e.raw_signal for e in events} == {PERSONALIZATION_TCF}
    assert all(e.signal_data["purposes_consent"] == [1, 5, 6] for e in events)
    assert set(events.values_list("purpose__key", flat=True)) == {
        "personalization",
        "measurement",
        "advertising",
    }


def test_tcf__same_string_again__records_nothing(subject):
    # Given
    _tcf(subject, PERSONALIZATION_TCF)
    count = subject.consent_events.count()

    # When
    _tcf(subject, PERSONALIZATION_TCF)

    # Then
    assert subject.consent_events.count() == count


def test_tcf__after_an_own_refusal__does_not_override_it(subject):
    # Given
    consent_update(subject=subject, purposes={"personalization": False}, source=Source.BANNER)

    # When
    snapshot = _tcf(subject, EVERYTHING_TCF)

    # Then
    assert (snapshot.purposes["personalization"], snapshot.basis["personalization"]) == (
        False,
        "choice",
    )
    assert snapshot.purposes["measurement"] is True


def test_tcf__advertising_under_gpc__stays_off(subject):
    # Given
    consent_record_gpc(subject=subject)

    # When
    snapshot = _tcf(subject, EVERYTHING_TCF)

    # Then
    assert (snapshot.purposes["advertising"], snapshot.basis["advertising"]) == (False, "gpc")


def test_tcf__own_choice_after_the_string__wins(subject):
    # Given
    _tcf(subject, EVERYTHING_TCF)

    # When
    snapshot = consent_update(
        subject=subject, purposes={"measurement": False}, source=Source.PRIVACY_CENTER
    )

    # Then
    assert (snapshot.purposes["measurement"], snapshot.basis["measurement"]) == (False, "choice")
    assert subject.consent_events.order_by("-sequence").first().kind == "withdraw"


def test_consent_put__tc_string__is_stored_verbatim_and_answered(
    client, db, django_capture_on_commit_callbacks
):
    # Given

    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            reverse("consent"),
            orjson.dumps({"tc_string": PERSONALIZATION_TCF}),
            content_type="application/json",
        )

    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["purposes"]["personalization"] is True
    assert body["basis"]["personalization"] == "tcf"
    assert ConsentEvent.objects.filter(source="tcf", raw_signal=PERSONALIZATION_TCF).count() == 3


@pytest.mark.parametrize(
    "body",
    [
        {"tc_string": "not a tc string"},
        {"tc_string": "C" * 9000},
        {"tc_string": 42},
        {"purposes": {"measurement": True}, "tc_string": "BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA"},
        {"purposes": {"measurement": True}, "notice_version": 99},
        {"purposes": {"measurement": True}, "notice_version": 2**40},
        {"purposes": {"measurement": True}, "source": "gpc"},
        {"purposes": {"measurement": True}, "control": "<script>"},
    ],
    ids=[
        "garbage",
        "too-long",
        "not-a-string",
        "tcf-v1",
        "unknown-notice",
        "huge-notice",
        "bad-source",
        "bad-control",
    ],
)
def test_consent_put__bad_signal_or_notice__is_400_and_writes_nothing(client, db, body):
    # Given

    # When
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    response = client.put(reverse("consent"), data, content_type="application/json")

    # Then
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    assert not Subject.objects.exists()
    assert not ConsentEvent.objects.exists()
