"""Tests of explicit preferences: the registry, the service, the cached read and the API."""

import orjson
import pytest
from django.core.cache import cache
from django.urls import reverse

from consent.exceptions import ConsentRequired, SensitiveData, UnknownPreference
from consent.models import PreferenceKey, PreferenceOption, Source, SubjectPreferences
from consent.selectors import consent_resolve, preferences_stored
from consent.services import (
    consent_update,
    preference_key_delete,
    preference_option_delete,
    preference_option_save,
    preferences_update,
)
from consent.tokens import SUBJECT_HEADER, subject_token_sign


@pytest.fixture
def personalized(subject, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    return subject


def _put(client, subject, body):
    return client.put(
        reverse("preferences"),
        body if isinstance(body, bytes) else orjson.dumps(body),
        content_type="application/json",
        headers={SUBJECT_HEADER: subject_token_sign(subject.public_id)} if subject else {},
    )


def test_preferences_update__granted__stores_in_registry_order(personalized):
    # Given

    # When
    values = preferences_update(
        subject=personalized, preferences={"interests": ["running", "outdoor", "running"]}
    )

    # Then
    assert values == {"interests": ["outdoor", "running"]}
    assert preferences_stored(subject=personalized) == values


def test_preferences_update__empty_list__clears_the_key(personalized):
    # Given
    preferences_update(subject=personalized, preferences={"interests": ["outdoor"]})

    # When
    values = preferences_update(subject=personalized, preferences={"interests": []})

    # Then
    assert values == {}


def test_preferences_update__committed__refreshes_the_cache_and_announces(
    personalized, recording_layer, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given a warm cache without preferences
    assert consent_resolve(subject_id=personalized.public_id).preferences == {}

    # When
    with django_capture_on_commit_callbacks(execute=True):
        preferences_update(subject=personalized, preferences={"interests": ["home"]})

    # Then the very next read has it, with no database query
    with django_assert_num_queries(0):
        assert consent_resolve(subject_id=personalized.public_id).preferences == {
            "interests": ["home"]
        }
    assert recording_layer.types_for(personalized.public_id) == ["consent.changed"]


@pytest.mark.parametrize(
    ("preferences", "error"),
    [
        ({"religion": ["catholic"]}, SensitiveData),
        ({"interests": ["diabetes"]}, SensitiveData),
        ({"colour": ["red"]}, UnknownPreference),
        ({"interests": ["sailing"]}, UnknownPreference),
        ({"interests": "outdoor"}, UnknownPreference),
    ],
    ids=["sensitive-key", "sensitive-value", "unknown-key", "unknown-value", "not-a-list"],
)
def test_preferences_update__bad_input__raises_and_writes_nothing(
    personalized, recording_layer, preferences, error
):
    # Given

    # When
    with pytest.raises(error):
        preferences_update(subject=personalized, preferences=preferences)

    # Then
    assert not SubjectPreferences.objects.exists()
    assert recording_layer.sent == []


def test_preferences_update__single_valued_key_with_two__raises(
    personalized, preference_option_factory
):
    # Given
    option = preference_option_factory(preference__key="budget", preference__multiple=False)
    preference_option_factory(preference=option.preference, value="high")

    # When
    with pytest.raises(UnknownPreference):
        preferences_update(subject=personalized, preferences={"budget": [option.value, "high"]})

    # Then
    assert not SubjectPreferences.objects.exists()


def test_preferences_update__personalization_not_granted__raises(subject):
    # Given a subject who never granted personalization

    # When
    with pytest.raises(ConsentRequired):
        preferences_update(subject=subject, preferences={"interests": ["outdoor"]})

    # Then
    assert not SubjectPreferences.objects.exists()


def test_consent_resolve_preferences__cache_down__read_from_the_database(
    personalized, monkeypatch, caplog
):
    # Given stored preferences and a cache that raises
    preferences_update(subject=personalized, preferences={"interests": ["outdoor"]})

    class Broken:
        def __getattr__(self, name):
            raise ConnectionError("cache down")

    monkeypatch.setattr("consent.selectors.state.cache", Broken())

    # When
    values = consent_resolve(subject_id=personalized.public_id).preferences

    # Then
    assert values == {"interests": ["outdoor"]}
    assert "reading the database" in caplog.text


@pytest.mark.parametrize("subject_id", [None, "", "no such subject", "x" * 40])
def test_consent_resolve_preferences__nobody__is_empty(db, subject_id):
    # Given

    # When
    values = consent_resolve(subject_id=subject_id).preferences

    # Then
    assert values == {}


def test_preference_option_delete__chosen_value__leaves_every_stored_choice(
    personalized, django_capture_on_commit_callbacks
):
    # Given
    preferences_update(subject=personalized, preferences={"interests": ["outdoor", "home"]})
    cache.clear()

    # When
    with django_capture_on_commit_callbacks(execute=True):
        preference_option_delete(option=PreferenceOption.objects.get(value="home"))

    # Then
    assert preferences_stored(subject=personalized) == {"interests": ["outdoor"]}
    assert consent_resolve(subject_id=personalized.public_id).preferences == {
        "interests": ["outdoor"]
    }


def test_preference_option_save__renamed_value__leaves_every_stored_choice(personalized):
    # Given
    preferences_update(subject=personalized, preferences={"interests": ["outdoor"]})
    option = PreferenceOption.objects.get(value="outdoor")

    # When
    option.value = "outdoors"
    preference_option_save(option=option)

    # Then
    assert preferences_stored(subject=personalized) == {}


def test_preference_key_delete__chosen_key__leaves_every_stored_choice(personalized):
    # Given
    preferences_update(subject=personalized, preferences={"interests": ["outdoor"]})

    # When
    preference_key_delete(preference=PreferenceKey.objects.get(key="interests"))

    # Then
    assert preferences_stored(subject=personalized) == {}


def test_preferences_api_get__anyone__lists_the_registry(client, db):
    # Given

    # When
    response = client.get(reverse("preferences"))

    # Then
    assert response.status_code == 200
    body = response.json()
    assert body["preferences"] == {}
    assert [v["value"] for v in body["available"]["interests"]["values"]] == [
        "outdoor",
        "running",
        "fashion",
        "home",
    ]


def test_preferences_api_put__granted__saves_and_answers(
    client, personalized, django_capture_on_commit_callbacks
):
    # Given

    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = _put(client, personalized, {"preferences": {"interests": ["outdoor"]}})

    # Then
    assert response.status_code == 200
    assert response.json()["preferences"] == {"interests": ["outdoor"]}
    assert consent_resolve(subject_id=personalized.public_id).preferences == {
        "interests": ["outdoor"]
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{nope", 400, "parse_error"),
        ({"interests": ["outdoor"]}, 400, "invalid"),
        ({"preferences": {"interests": "outdoor"}}, 400, "invalid"),
        ({"preferences": {"interests": [1]}}, 400, "invalid"),
        ({"preferences": {"colour": ["red"]}}, 400, "unknown_preference"),
        ({"preferences": {"interests": ["sailing"]}}, 400, "unknown_preference"),
        ({"preferences": {"health": ["diabetes"]}}, 400, "sensitive_data"),
        ({"preferences": {"interests": ["gay"]}}, 400, "sensitive_data"),
    ],
    ids=[
        "malformed",
        "no-wrapper",
        "string",
        "number",
        "unknown-key",
        "unknown-value",
        "sensitive-key",
        "sensitive-value",
    ],
)
def test_preferences_api_put__bad_body__is_4xx_and_writes_nothing(
    client, personalized, body, status, code
):
    # Given

    # When
    response = _put(client, personalized, body)

    # Then
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], bool(error["message"])) == (code, True)
    assert not SubjectPreferences.objects.exists()


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_preferences_api_put__no_or_forged_subject__is_409_and_writes_nothing(
    client, personalized, token
):
    # Given
    headers = {SUBJECT_HEADER: token} if token else {}

    # When
    response = client.put(
        reverse("preferences"),
        orjson.dumps({"preferences": {"interests": ["outdoor"]}}),
        content_type="application/json",
        headers=headers,
    )

    # Then
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "consent_required"
    assert not SubjectPreferences.objects.exists()


def test_preferences_api_put__personalization_refused__is_409(client, subject):
    # Given
    consent_update(subject=subject, purposes={"personalization": False}, source=Source.API)

    # When
    response = _put(client, subject, {"preferences": {"interests": ["outdoor"]}})

    # Then
    assert response.status_code == 409
    assert not SubjectPreferences.objects.exists()
