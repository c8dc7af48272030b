"""Tests of the privacy center's pages and forms (`/privacy/`), without JavaScript."""

import re

import orjson
import pytest
from django.test import Client
from django.urls import reverse

from consent.models import (
    ConsentEvent,
    NoticeTranslation,
    NoticeVersion,
    Source,
    Subject,
    SubjectPreferences,
)
from consent.precedence import GPC_RECONSENT_CONTROL
from consent.services import consent_record_gpc, consent_update, preferences_update
from consent.signals import subject_data_export
from consent.tokens import SUBJECT_COOKIE, subject_token_read, subject_token_sign

CENTER = reverse("privacy-center")
CONSENT = reverse("privacy-consent")
PREFERENCES = reverse("privacy-preferences")


def _as(client, subject):
    client.cookies[SUBJECT_COOKIE] = subject_token_sign(subject.public_id)
    return client


def _page(response):
    return response.content.decode()


def test_center__new_visitor__offers_accept_and_reject_alike_with_nothing_ticked(client, db):
    # Given a visitor without a token

    # When
    response = client.get(CENTER)

    # Then
    assert response.status_code == 200
    page = _page(response)
    accept = re.findall(r"<button[^>]*value=\"accept_all\"[^>]*>", page)
    reject = re.findall(r"<button[^>]*value=\"reject_all\"[^>]*>", page)
    assert [b.replace("accept_all", "X") for b in accept] == [
        b.replace("reject_all", "X") for b in reject
    ]
    assert len(accept) == 1
    assert " checked" not in page
    for key in ("personalization", "measurement", "advertising"):
        assert f'<label for="purpose-{key}">' in page
    assert "Data kept for at most 30 days" in page
    assert "csrfmiddlewaretoken" in page
    assert SUBJECT_COOKIE not in response.cookies
    assert not Subject.objects.exists()


def test_center__returning_visitor__ticks_only_what_they_granted(client, subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.API)

    # When
    page = _page(_as(client, subject).get(CENTER))

    # Then
    assert re.search(r'value="measurement"[^>]*checked', page)
    assert not re.search(r'value="personalization"[^>]*checked', page)


@pytest.mark.parametrize(
    ("data", "granted"),
    [
        ({"action": "reject_all"}, set()),
        ({"action": "accept_all"}, {"personalization", "measurement", "advertising"}),
        ({"action": "save", "purposes": ["personalization"]}, {"personalization"}),
    ],
    ids=["reject-all", "accept-all", "toggles"],
)
def test_consent_choose__first_choice__creates_the_subject_and_records_it(
    client, db, data, granted, django_capture_on_commit_callbacks
):
    # Given

    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONSENT, data)

    # Then
    assert response.status_code == 302
    assert response["Location"] == CENTER
    subject = Subject.objects.get()
    token = subject_token_read(response.cookies[SUBJECT_COOKIE].value)
    assert token is not None
    assert token.public_id == subject.public_id
    events = ConsentEvent.objects.filter(subject=subject)
    assert {e.purpose.key for e in events if e.granted} == granted
    assert events.count() == 3
    assert {(e.source, e.notice_id) for e in events} == {
        ("privacy_center", NoticeVersion.objects.get(version=1).pk)
    }
    assert "Your choices are saved" in _page(client.get(CENTER))


def test_consent_choose__csrf_enforced_without_token__is_403_and_writes_nothing(db):
    # Given a browser-like client that does not send the CSRF token
    client = Client(enforce_csrf_checks=True)

    # When
    response = client.post(CONSENT, {"action": "accept_all"})

    # Then
    assert response.status_code == 403
    assert not Subject.objects.exists()


def test_consent_choose__csrf_enforced_with_token__is_accepted(db):
    # Given
    client = Client(enforce_csrf_checks=True)
    client.get(CENTER)
    token = client.cookies["csrftoken"].value

    # When
    response = client.post(CONSENT, {"action": "reject_all", "csrfmiddlewaretoken": token})

    # Then
    assert response.status_code == 302
    assert ConsentEvent.objects.filter(kind="refuse").count() == 3


@pytest.mark.parametrize(
    "data",
    [
        {"action": "grant_everything"},
        {},
        {"action": "save", "purposes": ["tracking"]},
        {"action": "save", "purposes": ["necessary"]},
    ],
    ids=["unknown-action", "no-action", "unknown-purpose", "always-on-purpose"],
)
def test_consent_choose__tampered_form__is_400_with_an_error_and_writes_nothing(client, db, data):
    # Given

    # When
    response = client.post(CONSENT, data)

    # Then
    assert response.status_code == 400
    assert 'class="errors"' in _page(response)
    assert not Subject.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_consent_choose__forged_cookie__never_reaches_another_subject(client, subject):
    # Given a cookie for an existing subject with its signature altered
    client.cookies[SUBJECT_COOKIE] = subject_token_sign(subject.public_id)[:-2] + "xx"

    # When
    client.post(CONSENT, {"action": "accept_all"})

    # Then
    assert not subject.consent_events.exists()
    assert Subject.objects.count() == 2


def test_center__gpc_header__shows_the_signal_honored(client, subject):
    # Given

    # When
    page = _page(_as(client, subject).get(CENTER, headers={"Sec-GPC": "1"}))

    # Then
    assert "Opt-out preference signal honored" in page
    assert "Allow advertising and sharing anyway" not in page
    assert subject.consent_events.filter(source="gpc").count() == 1


def test_center__gpc_after_an_advertising_grant__explains_the_conflict(client, subject):
    # Given
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)

    # When
    page = _page(_as(client, subject).get(CENTER, headers={"Sec-GPC": "1"}))

    # Then
    assert "That conflicts with the signal, and the signal wins." in page
    assert "Allow advertising and sharing anyway" in page


def test_gpc_reconsent__confirmed__records_a_new_grant_event(client, subject):
    # Given
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)
    consent_record_gpc(subject=subject)

    # When
    response = _as(client, subject).post(
        reverse("privacy-gpc-reconsent"), {"confirm": "on"}, headers={"Sec-GPC": "1"}
    )

    # Then
    assert response.status_code == 302
    last = subject.consent_events.order_by("-sequence").first()
    assert (last.kind, last.granted, last.control) == ("grant", True, GPC_RECONSENT_CONTROL)


@pytest.mark.parametrize("gpc", [True, False], ids=["unconfirmed", "no-signal"])
def test_gpc_reconsent__unconfirmed_or_without_signal__is_400_and_writes_nothing(
    client, subject, gpc
):
    # Given
    if gpc:
        consent_record_gpc(subject=subject)
    count = subject.consent_events.count()

    # When
    response = _as(client, subject).post(
        reverse("privacy-gpc-reconsent"), {} if gpc else {"confirm": "on"}
    )

    # Then
    assert response.status_code == 400
    assert subject.consent_events.count() == count


def test_preferences_save__granted__saves_and_redirects(client, subject):
    # Given
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)

    # When
    response = _as(client, subject).post(PREFERENCES, {"pref_interests": ["outdoor", "home"]})

    # Then
    assert response.status_code == 302
    page = _page(client.get(CENTER))
    assert re.search(r'value="outdoor"[^>]*checked', page)
    assert "Your preferences are saved" in page


@pytest.mark.parametrize(
    ("data", "granted", "status"),
    [
        ({"pref_interests": ["outdoor"]}, False, 409),
        ({"pref_interests": ["sailing"]}, True, 400),
        ({"pref_religion": ["catholic"]}, True, 400),
    ],
    ids=["not-granted", "unknown-value", "unknown-key"],
)
def test_preferences_save__refused__shows_an_error_and_writes_nothing(
    client, subject, data, granted, status
):
    # Given
    consent_update(subject=subject, purposes={"personalization": granted}, source=Source.API)

    # When
    response = _as(client, subject).post(PREFERENCES, data)

    # Then
    assert response.status_code == status
    assert 'class="errors"' in _page(response)
    assert not SubjectPreferences.objects.exists()


def test_history__events__show_with_the_notice_version_seen(client, subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.BANNER)

    # When
    page = _page(_as(client, subject).get(reverse("privacy-history")))

    # Then
    assert "Measurement" in page
    assert f'href="{reverse("privacy-notice", args=[1])}">version 1</a>' in page


def test_notice__published_version__shows_its_text_hash_and_translations(client, db):
    # Given
    notice = NoticeVersion.objects.get(version=1)
    NoticeTranslation.objects.create(notice=notice, language="fr", title="Vos données", text="…")

    # When
    english = _page(client.get(reverse("privacy-notice", args=[1])))
    french = _page(client.get(reverse("privacy-notice", args=[1]), {"lang": "fr"}))

    # Then
    assert notice.title in english and notice.content_hash in english
    assert "Vos données" in french and 'lang="fr"' in french


def test_notice__unknown_version__is_404(client, db):
    # Given

    # When
    response = client.get(reverse("privacy-notice", args=[99]))

    # Then
    assert response.status_code == 404


def test_gpc_well_known__any_request__declares_gpc_support(client, db):
    # Given

    # When
    response = client.get("/.well-known/gpc.json")

    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["gpc"] is True
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["lastUpdate"])


def test_why__recent_decisions__are_explained_in_plain_language(client, subject, connect_receiver):
    # Given a granted subject and the recent decisions another app exports
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    item = {
        "at": "2026-11-24T10:00:00+00:00",
        "placement": "home-hero",
        "variant": "outdoor-hero",
        "reason": "TARGETING_MATCH",
        "segment": "outdoor-fans",
        "experiment": None,
        "purposes": ["personalization"],
        "namespaces": ["prefs", "signals", "context"],
        "attributes": {
            "prefs.interests": ["outdoor"],
            "signals.product_view.category.shoes.count_30m": 3,
            "context.device": "mobile",
        },
    }
    connect_receiver(subject_data_export, lambda **kw: {"recent_decisions": [item]})

    # When
    page = _page(_as(client, subject).get(CENTER))

    # Then
    assert "Because you chose the interest Outdoor." in page
    assert "Because you viewed shoes 3 times in the last 30 minutes." in page
    assert "Because you are on a mobile device." in page
    assert "outdoor-fans" in page and "Personalized content" in page


def test_why__personalization_off__shows_no_history(client, subject, connect_receiver):
    # Given decisions exported for a subject who withdrew personalization
    consent_update(subject=subject, purposes={"personalization": False}, source=Source.API)
    item = {"placement": "home-hero", "variant": "x", "attributes": {"prefs.interests": ["home"]}}
    connect_receiver(subject_data_export, lambda **kw: {"recent_decisions": [item]})

    # When
    page = _page(_as(client, subject).get(CENTER))

    # Then
    assert "Nothing is personalized for you" in page
    assert "Because you chose" not in page


def test_export_json__subject__downloads_the_documented_document(client, subject, connect_receiver):
    # Given
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    preferences_update(subject=subject, preferences={"interests": ["running"]})
    connect_receiver(subject_data_export, lambda **kw: {"signals": {"product_view": 2}})

    def broken(**kwargs):
        raise ConnectionError("store down")

    connect_receiver(subject_data_export, broken)

    # When
    response = _as(client, subject).get(reverse("privacy-export"))

    # Then
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    body = orjson.loads(response.content)
    assert body["schema"] == "tactful.subject-export/1"
    assert body["subject"]["id"] == subject.public_id
    assert body["preferences"] == {"interests": ["running"]}
    assert body["signals"] == {"product_view": 2}
    assert body["recent_decisions"] == []
    assert [e["purpose"] for e in body["consent_events"]] == ["personalization"]
    assert body["consent_events"][0]["notice"]["version"] == 1
    assert [u["source"].rsplit(".", 1)[-1] for u in body["unavailable"]] == ["broken"]


@pytest.mark.parametrize("cookie", [None, "forged"])
def test_export_json__no_or_forged_subject__is_404(client, subject, cookie):
    # Given
    if cookie:
        client.cookies[SUBJECT_COOKIE] = cookie

    # When
    response = client.get(reverse("privacy-export"))

    # Then
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_subject"


def test_center__links__reach_every_section_and_the_data_actions(client, subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.API)

    # When
    page = _page(_as(client, subject).get(CENTER))

    # Then
    for url in (reverse("privacy-export"), reverse("privacy-erase"), reverse("privacy-history")):
        assert f'href="{url}"' in page
    assert '<html lang="en">' in page and 'name="viewport"' in page


def test_privacy_center__every_page__links_back_to_the_site(client, db, settings):
    # Given a site whose privacy center lives on Tactful
    settings.TACTFUL = {**settings.TACTFUL, "SITE_URL": "https://shop.example.com/"}
    # Then each page of the privacy center leads back to it
    for url in (CENTER, reverse("privacy-history"), reverse("privacy-erase")):
        assert 'href="https://shop.example.com/">&larr; Back to the site</a>' in _page(
            client.get(url)
        )


def test_why__names_and_times__as_people_read_them(client, subject, connect_receiver):
    # Given a recent decision exported with the names the marketer gave
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    from datetime import timedelta

    from django.utils import timezone

    at = (timezone.now() - timedelta(minutes=4)).isoformat(timespec="seconds")
    item = {
        "at": at,
        "placement": "home-hero",
        "placement_name": "Home page hero",
        "variant": "outdoor",
        "variant_name": "Outdoor season",
        "segment": "prefers-outdoor",
        "segment_name": "Prefers outdoor",
        "purposes": ["personalization"],
        "attributes": {"prefs.interests": ["outdoor"]},
    }
    connect_receiver(subject_data_export, lambda **kw: {"recent_decisions": [item]})

    # When the visitor asks why
    page = _page(_as(client, subject).get(CENTER))

    # Then names and a relative time, not keys and an ISO timestamp
    assert "Home page hero: you saw “Outdoor season”" in page
    assert "Shown to the audience “Prefers outdoor”." in page
    assert "4\xa0minutes ago" in page
    assert "home-hero" not in page and f"{at}</time>" not in page


def test_history__events__in_words(client, subject):
    # Given a choice in the banner and one in the privacy center
    consent_update(
        subject=subject,
        purposes={"personalization": True},
        source=Source.BANNER,
        control="accept-all",
    )
    consent_update(
        subject=subject,
        purposes={"personalization": False},
        source=Source.PRIVACY_CENTER,
        control="toggles",
    )

    # When the visitor reads their history
    page = _page(_as(client, subject).get(reverse("privacy-history")))

    # Then each says what happened and how, as a person would
    assert "<td>Allowed</td>" in page
    assert "<td>In the site&#x27;s banner, with Accept all</td>" in page
    assert "<td>Turned off (withdrawn)</td>" in page
    assert "<td>Here, in the privacy center, purpose by purpose</td>" in page
    assert "(accept-all)" not in page
