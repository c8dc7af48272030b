"""Tests of consent services: choices, the projection, GPC and the announcement of changes."""

import asyncio
import logging
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from consent.exceptions import AlwaysOnPurpose, UnknownPurpose
from consent.models import ConsentEvent, ConsentState, Purpose, Source, SubjectChange
from consent.selectors import consent_resolve, purpose_keys, subject_group_name
from consent.services import (
    consent_grant,
    consent_record_gpc,
    consent_refuse,
    consent_state_rebuild,
    consent_update,
    consent_withdraw,
    purpose_save,
    subject_create,
)
from consent.services.announce import changes_react_pending

Kind = ConsentEvent.Kind


def _kinds(subject):
    return [
        (event.purpose.key, event.kind, event.granted)
        for event in subject.consent_events.order_by("pk").select_related("purpose")
    ]


def _projection(subject):
    return {
        state.purpose.key: (state.granted, state.source, state.updated_at, state.expires_at)
        for state in subject.consent_states.select_related("purpose")
    }


def test_consent_update__first_choice__records_grant_and_refuse(subject):
    # Given a subject who never chose

    # When
    snapshot = consent_update(
        subject=subject,
        purposes={"personalization": True, "advertising": False},
        source=Source.BANNER,
        control="toggle",
    )

    # Then
    assert _kinds(subject) == [
        ("personalization", Kind.GRANT, True),
        ("advertising", Kind.REFUSE, False),
    ]
    event = subject.consent_events.get(kind=Kind.GRANT)
    assert (event.source, event.control, event.raw_signal) == ("banner", "toggle", "")
    assert snapshot.purposes == {
        "necessary": True,
        "personalization": True,
        "measurement": False,
        "advertising": False,
    }
    assert snapshot.subject_id == subject.public_id


def test_consent_update__false_while_granted__records_withdraw(subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.API)

    # When
    snapshot = consent_update(
        subject=subject, purposes={"measurement": False}, source=Source.PRIVACY_CENTER
    )

    # Then
    assert _kinds(subject)[-1] == ("measurement", Kind.WITHDRAW, False)
    assert snapshot.purposes["measurement"] is False
    state = subject.consent_states.get(purpose__key="measurement")
    assert (state.granted, state.source, state.expires_at) == (False, "privacy_center", None)


@pytest.mark.parametrize("granted", [True, False])
def test_consent_update__same_choice_again__records_nothing(subject, granted):
    # Given
    consent_update(subject=subject, purposes={"measurement": granted}, source=Source.API)
    state_before = _projection(subject)

    # When
    consent_update(subject=subject, purposes={"measurement": granted}, source=Source.BANNER)

    # Then
    assert len(_kinds(subject)) == 1
    assert _projection(subject) == state_before


def test_consent_update__refuse_after_withdraw__records_nothing(subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.API)
    consent_update(subject=subject, purposes={"measurement": False}, source=Source.API)

    # When
    consent_update(subject=subject, purposes={"measurement": False}, source=Source.API)

    # Then
    assert [kind for _, kind, _ in _kinds(subject)] == [Kind.GRANT, Kind.WITHDRAW]


def test_consent_update__unknown_purpose__raises_before_writing_anything(subject):
    # Given a valid choice mixed with unknown purposes

    # When
    with pytest.raises(UnknownPurpose) as raised:
        consent_update(
            subject=subject,
            purposes={"personalization": True, "tracking": True, "zzz": False},
            source=Source.API,
        )

    # Then
    assert raised.value.code == "unknown_purpose"
    assert raised.value.status_code == 400
    assert raised.value.details["unknown"] == ["tracking", "zzz"]
    assert not ConsentEvent.objects.exists()
    assert not ConsentState.objects.exists()


def test_consent_update__necessary_refused__raises_before_writing_anything(subject):
    # Given

    # When
    with pytest.raises(AlwaysOnPurpose) as raised:
        consent_update(
            subject=subject,
            purposes={"personalization": True, "necessary": False},
            source=Source.API,
        )

    # Then
    assert raised.value.details == {"always_on": ["necessary"]}
    assert not ConsentEvent.objects.exists()


def test_consent_update__necessary_granted__records_nothing_for_it(subject):
    # Given

    # When
    snapshot = consent_update(
        subject=subject, purposes={"necessary": True, "measurement": True}, source=Source.API
    )

    # Then
    assert _kinds(subject) == [("measurement", Kind.GRANT, True)]
    assert snapshot.purposes["necessary"] is True


def test_consent_update__unknown_source__raises_before_writing_anything(subject):
    # Given

    # When
    with pytest.raises(ValueError):
        consent_update(subject=subject, purposes={"measurement": True}, source="carrier-pigeon")

    # Then
    assert not ConsentEvent.objects.exists()


def test_consent_update__grant__expires_after_the_configured_days(subject, settings):
    # Given
    settings.TACTFUL = {**settings.TACTFUL, "CONSENT_GRANT_DAYS": 10}

    # When
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)

    # Then
    state = subject.consent_states.get(purpose__key="personalization")
    assert state.expires_at == state.updated_at + timedelta(days=10)


def test_consent_update__grant_with_default_days__expires_after_395_days(subject):
    # Given the default CONSENT_GRANT_DAYS (13 months)

    # When
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)

    # Then
    state = subject.consent_states.get(purpose__key="personalization")
    assert state.expires_at == state.updated_at + timedelta(days=395)


@pytest.mark.parametrize(
    ("choice", "kind"), [(True, Kind.GRANT), (False, Kind.REFUSE)], ids=["grant", "refuse"]
)
def test_consent_update__lapsed_grant__records_a_new_choice(subject, choice, kind):
    # Given a grant that expired yesterday
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    ConsentState.objects.filter(subject=subject).update(
        expires_at=timezone.now() - timedelta(days=1)
    )

    # When
    snapshot = consent_update(
        subject=subject, purposes={"personalization": choice}, source=Source.API
    )

    # Then
    assert _kinds(subject)[-1] == ("personalization", kind, choice)
    assert snapshot.purposes["personalization"] is choice


@pytest.mark.parametrize(
    ("service", "granted_before", "kind"),
    [
        (consent_grant, False, Kind.GRANT),
        (consent_refuse, None, Kind.REFUSE),
        (consent_withdraw, True, Kind.WITHDRAW),
    ],
)
def test_named_wrappers__listed_purposes__record_the_named_choice(
    subject, service, granted_before, kind
):
    # Given
    if granted_before is not None:
        consent_update(
            subject=subject,
            purposes={"personalization": granted_before, "measurement": granted_before},
            source=Source.BANNER,
        )

    # When
    service(
        subject=subject,
        purposes=["personalization", "measurement"],
        source=Source.PRIVACY_CENTER,
        control="toggle",
    )

    # Then
    last_two = subject.consent_events.order_by("-pk")[:2]
    assert {(e.kind, e.source, e.control) for e in last_two} == {(kind, "privacy_center", "toggle")}


def test_consent_update__committed__announces_the_purposes_to_the_subject_group(
    subject, django_capture_on_commit_callbacks
):
    # Given a channel listening to the subject's group on the configured channel layer
    layer = get_channel_layer()

    def change() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)

    # When the change commits while the channel listens (one event loop: the pub/sub layer
    # keeps its channels per loop)
    async def listen_then_change():
        channel = await layer.new_channel()
        await layer.group_add(subject_group_name(subject.public_id), channel)
        await sync_to_async(change)()
        # A bound on waiting, not a timing assertion: a lost message fails instead of hanging.
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    # Then
    message = async_to_sync(listen_then_change)()
    assert message == {"type": "consent.changed", "version": 1}


def test_consent_update__before_commit__announces_nothing(
    subject, recording_layer, django_capture_on_commit_callbacks
):
    # Given

    # When the change is made but its transaction has not committed
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)

    # Then
    assert recording_layer.sent == []
    for callback in callbacks:
        callback()
    assert [group for group, _ in recording_layer.sent] == [subject_group_name(subject.public_id)]


def test_consent_update__rolled_back__announces_nothing(
    subject, recording_layer, django_capture_on_commit_callbacks
):
    # Given

    # When
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
        transaction.set_rollback(True)

    # Then
    assert recording_layer.sent == []
    assert not ConsentEvent.objects.exists()


def test_consent_update__unchanged__announces_nothing(
    subject, recording_layer, django_capture_on_commit_callbacks
):
    # Given
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"measurement": False}, source=Source.API)
    recording_layer.sent.clear()

    # When
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"measurement": False}, source=Source.API)

    # Then
    assert recording_layer.sent == []


def test_consent_update__channel_layer_fails__keeps_the_write_and_retries_the_message(
    subject, monkeypatch, caplog, recording_layer, django_capture_on_commit_callbacks
):
    # Given a channel layer that is down
    def broken_layer():
        raise ConnectionError("channel layer down")

    with monkeypatch.context() as patch:
        patch.setattr("config.broadcast.get_channel_layer", broken_layer)
        # When
        with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
            snapshot = consent_update(
                subject=subject, purposes={"personalization": True}, source=Source.API
            )

    # Then the write stands, and its reactions wait in the outbox
    assert snapshot.purposes["personalization"] is True
    assert subject.consent_events.count() == 1
    assert consent_resolve(subject_id=subject.public_id).purposes["personalization"] is True
    assert "Could not tell a subject's open sockets" in caplog.text
    assert SubjectChange.objects.filter(public_id=subject.public_id, version=1).exists()
    # And once the layer is back, the next sweep sends the message and empties the outbox
    assert changes_react_pending(older_than=0) == 1
    assert recording_layer.types_for(subject.public_id) == ["consent.changed"]
    assert not SubjectChange.objects.exists()


def test_consent_state_rebuild__after_a_history__equals_the_incremental_projection(subject):
    # Given a history of every kind of change, kept incrementally
    consent_update(
        subject=subject, purposes={"personalization": True, "measurement": False}, source="api"
    )
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)
    consent_update(subject=subject, purposes={"personalization": False}, source="banner")
    consent_record_gpc(subject=subject)
    consent_update(subject=subject, purposes={"measurement": True}, source="privacy_center")
    incremental = _projection(subject)

    # When the projection is lost and rebuilt from the events
    ConsentState.objects.filter(subject=subject).delete()
    consent_state_rebuild(subject=subject)

    # Then
    assert _projection(subject) == incremental
    assert set(incremental) == {"personalization", "measurement", "advertising"}


def test_consent_record_gpc__first_signal__records_it_and_turns_advertising_off(subject):
    # Given an advertising grant
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)

    # When
    consent_record_gpc(subject=subject)

    # Then
    event = subject.consent_events.get(kind=Kind.SIGNAL)
    assert (event.purpose.key, event.granted, event.source, event.raw_signal) == (
        "advertising",
        False,
        "gpc",
        "Sec-GPC: 1",
    )
    subject.refresh_from_db()
    assert subject.gpc_at is not None
    snapshot = consent_resolve(subject_id=subject.public_id)
    assert (snapshot.purposes["advertising"], snapshot.gpc) == (False, True)


def test_consent_record_gpc__signal_again__records_one_event(subject):
    # Given
    consent_record_gpc(subject=subject)

    # When
    consent_record_gpc(subject=subject)

    # Then
    assert subject.consent_events.filter(kind=Kind.SIGNAL).count() == 1


def test_subject_create__twice__gives_distinct_unguessable_public_ids(user_factory):
    # Given
    user = user_factory()

    # When
    anonymous = subject_create()
    linked = subject_create(user=user)

    # Then
    assert anonymous.public_id != linked.public_id
    assert len(anonymous.public_id) == 22  # 16 random bytes, URL-safe base64
    assert (anonymous.user, linked.user) == (None, user)


def test_purpose_save__new_purpose__is_known_after_commit(
    purpose_factory, django_capture_on_commit_callbacks
):
    # Given a warm purpose registry
    assert "research" not in purpose_keys()

    # When
    with django_capture_on_commit_callbacks(execute=True):
        purpose_save(purpose=purpose_factory.build(key="research", tcf_purposes=[9]))

    # Then
    assert "research" in purpose_keys()


@pytest.mark.parametrize(
    "fields",
    [
        {"tcf_purposes": [12]},
        {"tcf_purposes": ["1"]},
        {"tcf_purposes": {"1": True}},
        {"consent_mode_types": ["ads_storage"]},
        {"always_on": True},
    ],
)
def test_purpose_save__bad_mapping__raises_and_saves_nothing(purpose_factory, fields):
    # Given
    purpose = purpose_factory.build(key="research", **fields)

    # When
    with pytest.raises(ValidationError):
        purpose_save(purpose=purpose)

    # Then
    assert not Purpose.objects.filter(key="research").exists()


def test_purpose_save__necessary_made_optional__raises(db):
    # Given
    necessary = Purpose.objects.get(key="necessary")
    necessary.always_on = False

    # When
    with pytest.raises(ValidationError) as raised:
        purpose_save(purpose=necessary)

    # Then
    assert "always_on" in raised.value.message_dict
    assert Purpose.objects.get(key="necessary").always_on is True
