"""GPP string intake: the service, its place in the precedence, and `PUT /api/v1/consent`."""

import orjson
from django.urls import reverse

from consent.gpp import gpp_string_decode
from consent.models import ConsentEvent, Source, Subject
from consent.services import consent_record_gpp, consent_update
from consent.tokens import SUBJECT_HEADER, subject_token_sign
from tests.consent.gppstrings import gpp_string, us_section, usnat

OPTED_OUT = gpp_string({7: usnat(sale=1)})
NO_OPT_OUT = gpp_string({7: usnat()})
WITH_GPC = gpp_string({7: usnat(gpc=True)})


def _gpp(subject, value, applicable=None):
    return consent_record_gpp(
        subject=subject, gpp_string=value, decoded=gpp_string_decode(value), applicable=applicable
    )


def _put(client, body, **headers):
    return client.put(
        reverse("consent"), orjson.dumps(body), content_type="application/json", headers=headers
    )


def test_gpp__opt_out_of_sale__advertising_refused_and_the_string_kept_verbatim(subject):
    # When a host CMP's string says the visitor opted out of the sale of their data
    snapshot = _gpp(subject, OPTED_OUT)

    # Then advertising is off because of it, and nothing else is touched
    assert (snapshot.purposes["advertising"], snapshot.basis["advertising"]) == (False, "gpp")
    assert snapshot.basis["personalization"] == "default"
    (event,) = subject.consent_events.filter(source=Source.GPP)
    assert (event.kind, event.purpose.key, event.granted) == ("signal", "advertising", False)
    assert event.raw_signal == OPTED_OUT
    assert event.signal_data["section_ids"] == [7]
    assert event.signal_data["sections"][0]["fields"]["SaleOptOut"] == 1


def test_gpp__no_opt_out__advertising_granted_by_the_string(subject):
    snapshot = _gpp(subject, NO_OPT_OUT)
    assert (snapshot.purposes["advertising"], snapshot.basis["advertising"]) == (True, "gpp")


def test_gpp__same_string_again__records_nothing(subject):
    _gpp(subject, OPTED_OUT)
    count = subject.consent_events.count()
    _gpp(subject, OPTED_OUT)
    assert subject.consent_events.count() == count


def test_gpp__after_an_own_grant__does_not_override_it(subject):
    # Given a visitor who allowed advertising in Tactful's banner
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)
    # When the host CMP sends an opt-out
    snapshot = _gpp(subject, OPTED_OUT)
    # Then the own choice stands (as over a TC string), and the signal is on record
    assert (snapshot.purposes["advertising"], snapshot.basis["advertising"]) == (True, "choice")
    assert subject.consent_events.filter(source=Source.GPP).count() == 1


def test_gpp__gpc_bit__honoured_as_global_privacy_control(subject):
    # Given a visitor who allowed advertising in Tactful's banner
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)
    # When the CMP's section carries the GPC bit
    snapshot = _gpp(subject, WITH_GPC)
    # Then it is a binding opt-out, over the earlier grant, as the Sec-GPC header is
    assert (snapshot.purposes["advertising"], snapshot.basis["advertising"]) == (False, "gpc")
    assert snapshot.gpc is True
    subject.refresh_from_db()
    assert subject.gpc_at is not None
    assert subject.consent_events.filter(source=Source.GPC).count() == 1


def test_gpp__gpp_sid__only_the_applicable_sections_count(subject):
    # Given a string whose national section opted out and whose California one did not
    california = us_section(1, [1, 1, 0, 2, 2, *[0] * 9, 0, 0, 0, 1, 0, 0])
    value = gpp_string({7: usnat(sale=1), 8: california})
    # When the CMP says only California applies
    snapshot = _gpp(subject, value, applicable=[8])
    # Then California's answer is the one recorded
    assert snapshot.purposes["advertising"] is True
    event = subject.consent_events.get(source=Source.GPP)
    assert event.signal_data["applicable_section_ids"] == [8]


def test_consent_put__gpp_string__first_signal_creates_the_subject(client, db):
    # When a page passes its CMP's GPP string
    response = _put(client, {"gpp_string": OPTED_OUT})
    # Then the subject exists, advertising is off because of it
    assert response.status_code == 200
    body = response.json()
    assert body["basis"]["advertising"] == "gpp"
    assert body["purposes"]["advertising"] is False
    assert ConsentEvent.objects.filter(source=Source.GPP, raw_signal=OPTED_OUT).count() == 1


def test_consent_put__gpp_string_and_own_choice__both_recorded_choice_wins(client, subject):
    # When a banner choice comes with the CMP's string in one body
    token = subject_token_sign(subject.public_id)
    response = _put(
        client,
        {"gpp_string": OPTED_OUT, "purposes": {"advertising": True}, "source": "banner"},
        **{SUBJECT_HEADER: token},
    )
    # Then both are on record, and the visitor's own choice decides
    assert response.status_code == 200
    assert response.json()["basis"]["advertising"] == "choice"
    assert set(subject.consent_events.values_list("source", flat=True)) == {"gpp", "banner"}


def test_consent_put__undecodable_gpp_string__400_and_nothing_written(client, db):
    response = _put(client, {"gpp_string": "DBABLA~BVQq"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_gpp_string"
    assert not Subject.objects.exists()


def test_consent_put__gpp_sid_without_string__400(client, db):
    response = _put(client, {"purposes": {"advertising": False}, "gpp_sid": [7]})
    assert response.status_code == 400
    assert "gpp_sid" in response.json()["error"]["details"]
    assert not Subject.objects.exists()
