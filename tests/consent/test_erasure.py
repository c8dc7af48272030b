"""Tests of erasure (page and API), propagation to the next decision, and the whole visit."""

import orjson
import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from consent.chain import ChainReport
from consent.models import ConsentEvent, ConsentState, Source, Subject, SubjectPreferences
from consent.selectors import consent_resolve, subject_chain_verify
from consent.services import consent_update, preferences_update, subject_erase
from consent.signals import subject_data_erase, subject_data_export
from consent.tokens import SUBJECT_COOKIE, SUBJECT_HEADER, subject_token_sign

NECESSARY_ONLY = {
    "necessary": True,
    "personalization": False,
    "measurement": False,
    "advertising": False,
}


@pytest.fixture
def personalized(subject, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(
            subject=subject,
            purposes={"personalization": True, "advertising": False},
            source=Source.PRIVACY_CENTER,
        )
        preferences_update(subject=subject, preferences={"interests": ["outdoor"]})
    return subject


def _decide(client, token=None):
    headers = {SUBJECT_HEADER: token} if token else {}
    return client.post(
        reverse("decide"), b"{}", content_type="application/json", headers=headers
    ).json()


def test_subject_erase__proof_kept__erases_all_else_and_keeps_a_verifiable_chain(
    personalized, connect_receiver, recording_layer, django_capture_on_commit_callbacks
):
    # Given another app holding signals and decisions for the subject
    connect_receiver(
        subject_data_erase,
        lambda subject_id, **kw: {"signals": 4, "decision_history": 2, "assignments": 1},
    )

    # When
    with django_capture_on_commit_callbacks(execute=True):
        receipt = subject_erase(subject=personalized)

    # Then
    assert receipt.complete
    assert receipt.erased == {
        "signals": 4,
        "decision_history": 2,
        "assignments": 1,
        "exposure_marks": 0,
        "preferences": 1,
        "consent_state": 2,
        "cached_state": 1,
    }
    assert receipt.kept == {"consent_events": 2}
    assert not SubjectPreferences.objects.exists()
    assert not ConsentState.objects.exists()
    subject = Subject.objects.get(pk=personalized.pk)
    assert subject.erased_at is not None and subject.user is None
    assert subject_chain_verify(subject=subject) == ChainReport(subject.public_id, 2)
    assert consent_resolve(subject_id=subject.public_id).subject_id is None
    assert consent_resolve(subject_id=subject.public_id).preferences == {}
    assert recording_layer.types_for(subject.public_id)[-1] == "subject.erased"


def test_subject_erase__proof_not_kept__deletes_the_events_and_the_subject(
    personalized, settings, django_capture_on_commit_callbacks
):
    # Given an operator policy that keeps no consent proof
    settings.TACTFUL = {**settings.TACTFUL, "ERASURE_KEEPS_CONSENT_PROOF": False}

    # When
    with django_capture_on_commit_callbacks(execute=True):
        receipt = subject_erase(subject=personalized)

    # Then
    assert receipt.erased["consent_events"] == 2
    assert receipt.kept == {}
    assert not Subject.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_subject_erase__a_receiver_fails__erases_nothing_of_consent_and_says_so(
    personalized, connect_receiver
):
    # Given
    def broken(**kwargs):
        raise ConnectionError("signal store down")

    connect_receiver(subject_data_erase, broken)

    # When
    receipt = subject_erase(subject=personalized)

    # Then
    assert receipt.complete is False
    assert receipt.failed[0].endswith("broken")
    assert SubjectPreferences.objects.filter(subject=personalized).exists()
    assert Subject.objects.get(pk=personalized.pk).erased_at is None


def test_erase_page__confirmed__shows_the_receipt_and_clears_the_cookie(
    client, personalized, django_capture_on_commit_callbacks
):
    # Given
    client.cookies[SUBJECT_COOKIE] = subject_token_sign(personalized.public_id)
    assert "cannot be undone" in client.get(reverse("privacy-erase")).content.decode()

    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy-erase"), {"confirm": "on"})

    # Then
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your data is erased" in page
    # in words, not section keys
    assert "<li>Your preferences: 1 item</li>" in page
    assert "consent_state" not in page
    assert response.cookies[SUBJECT_COOKIE].value == ""
    assert response.cookies[SUBJECT_COOKIE]["max-age"] == 0


@pytest.mark.parametrize("with_subject", [True, False], ids=["unconfirmed", "nobody"])
def test_erase_page__unconfirmed_or_nobody__is_4xx_and_erases_nothing(
    client, personalized, with_subject
):
    # Given
    if with_subject:
        client.cookies[SUBJECT_COOKIE] = subject_token_sign(personalized.public_id)

    # When
    response = client.post(reverse("privacy-erase"), {} if with_subject else {"confirm": "on"})

    # Then
    assert response.status_code == (400 if with_subject else 404)
    assert 'class="errors"' in response.content.decode()
    assert SubjectPreferences.objects.filter(subject=personalized).exists()


def test_erase_page__a_part_fails__is_503_keeps_the_cookie_and_offers_a_retry(
    client, personalized, connect_receiver
):
    # Given
    def broken(**kwargs):
        raise ConnectionError("down")

    connect_receiver(subject_data_erase, broken)
    client.cookies[SUBJECT_COOKIE] = subject_token_sign(personalized.public_id)

    # When
    response = client.post(reverse("privacy-erase"), {"confirm": "on"})

    # Then
    assert response.status_code == 503
    assert "Try again" in response.content.decode()
    assert SUBJECT_COOKIE not in response.cookies


def test_subject_api_delete__token__erases_and_answers_the_receipt(
    client, personalized, django_capture_on_commit_callbacks
):
    # Given
    token = subject_token_sign(personalized.public_id)

    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(reverse("subject"), headers={SUBJECT_HEADER: token})

    # Then
    assert response.status_code == 200
    body = response.json()
    assert (body["subject"], body["complete"]) == (personalized.public_id, True)
    assert body["erased"]["preferences"] == 1
    assert body["kept"] == {"consent_events": 2}


@pytest.mark.parametrize("token", [None, "forged"])
def test_subject_api__no_or_forged_token__is_404_and_touches_nothing(client, personalized, token):
    # Given
    headers = {SUBJECT_HEADER: token} if token else {}

    # When
    erase = client.delete(reverse("subject"), headers=headers)
    export = client.get(reverse("subject-export"), headers=headers)

    # Then
    assert (erase.status_code, export.status_code) == (404, 404)
    assert erase.json()["error"]["code"] == "no_subject"
    assert Subject.objects.get(pk=personalized.pk).erased_at is None


def test_subject_api__a_part_fails__is_503_with_the_receipt(client, personalized, connect_receiver):
    # Given
    def broken(**kwargs):
        raise ConnectionError("down")

    connect_receiver(subject_data_erase, broken)

    # When
    response = client.delete(
        reverse("subject"), headers={SUBJECT_HEADER: subject_token_sign(personalized.public_id)}
    )

    # Then
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "erasure_incomplete"
    assert error["details"]["complete"] is False


def test_subject_export_api__token__answers_the_document(client, personalized):
    # Given

    # When
    response = client.get(
        reverse("subject-export"),
        headers={SUBJECT_HEADER: subject_token_sign(personalized.public_id)},
    )

    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["schema"] == "tactful.subject-export/1"
    assert body["preferences"] == {"interests": ["outdoor"]}
    assert {e["purpose"] for e in body["consent_events"]} == {"personalization", "advertising"}


def test_consent_change__in_the_privacy_center__applies_to_the_very_next_decision(
    client, personalized, recording_layer, django_capture_on_commit_callbacks
):
    # Given a warm decision for a subject who granted personalization
    call_command("seed_demo", verbosity=0)
    token = subject_token_sign(personalized.public_id)
    assert _decide(client, token)["consent"]["personalization"] is True
    client.cookies[SUBJECT_COOKIE] = token

    # When the visitor rejects everything
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy-consent"), {"action": "reject_all"})

    # Then the next decision already has it, and open sockets were told
    assert _decide(client, token)["consent"] == NECESSARY_ONLY
    assert recording_layer.types_for(personalized.public_id)[-1] == "consent.changed"


def test_visit__refuse_grant_choose_explain_download_erase__ends_as_a_new_visitor(
    client, db, connect_receiver, django_capture_on_commit_callbacks
):
    # Given the demo, and another app that explains the decisions it made with the preferences
    call_command("seed_demo", verbosity=0)

    def recent(subject_id, **kwargs):
        interests = consent_resolve(subject_id=subject_id).preferences.get("interests", [])
        attributes = {"prefs.interests": interests}
        return {
            "recent_decisions": [
                {
                    "placement": "home-hero",
                    "variant": "outdoor",
                    "segment": "outdoor-fans",
                    "purposes": ["personalization"],
                    "attributes": attributes,
                }
            ]
            if interests
            else []
        }

    connect_receiver(subject_data_export, recent)

    # When the visitor refuses, then grants personalization, then chooses an interest
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy-consent"), {"action": "reject_all"})
        client.post(reverse("privacy-consent"), {"action": "save", "purposes": ["personalization"]})
        client.post(reverse("privacy-preferences"), {"pref_interests": ["outdoor"]})
    subject = Subject.objects.get()
    center = client.get(reverse("privacy-center")).content.decode()
    download = orjson.loads(client.get(reverse("privacy-export")).content)
    with django_capture_on_commit_callbacks(execute=True):
        receipt = client.post(reverse("privacy-erase"), {"confirm": "on"})

    # Then every step is visible, and afterwards the browser is a new visitor
    assert [e.kind for e in subject.consent_events.order_by("sequence")] == [
        "refuse",
        "refuse",
        "refuse",
        "grant",
    ]
    assert "Because you chose the interest Outdoor." in center
    assert download["preferences"] == {"interests": ["outdoor"]}
    assert download["recent_decisions"][0]["attributes"] == {"prefs.interests": ["outdoor"]}
    assert receipt.status_code == 200
    decision = _decide(client)
    assert decision["consent"] == NECESSARY_ONLY
    assert all(not d["personalized"] for d in decision["decisions"].values())
    assert _decide(client, subject_token_sign(subject.public_id))["consent"] == NECESSARY_ONLY
    cache.clear()
    assert consent_resolve(subject_id=subject.public_id).subject_id is None
