"""Tests of consent selectors: the cached, fail-closed consent state and GPC on requests."""

import logging
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import RequestFactory
from django.utils import timezone

from consent.models import ConsentEvent, ConsentState, Source
from consent.selectors import (
    ConsentSnapshot,
    consent_events_for,
    consent_resolve,
    purpose_keys,
    purpose_list,
    subject_group_name,
)
from consent.services import consent_for_request, consent_update
from consent.tokens import SUBJECT_COOKIE, subject_token_sign

NECESSARY_ONLY = {
    "necessary": True,
    "personalization": False,
    "measurement": False,
    "advertising": False,
}


def _request(subject=None, **headers):
    request = RequestFactory().get("/", headers=headers)
    if subject is not None:
        request.COOKIES[SUBJECT_COOKIE] = subject_token_sign(subject.public_id)
    return request


def _core(snapshot: ConsentSnapshot):
    return (snapshot.subject_id, snapshot.purposes, snapshot.gpc)


class BrokenCache:
    """A cache whose server is unreachable."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_purpose_keys__seeded_registry__lists_purposes_in_display_order(db):
    # Given the purposes seeded by the migrations

    # When
    keys = purpose_keys()

    # Then
    assert keys == ("necessary", "personalization", "measurement", "advertising")
    assert [purpose.key for purpose in purpose_list()] == list(keys)


def test_consent_resolve__no_subject__is_necessary_only(db):
    # Given

    # When
    snapshot = consent_resolve(subject_id=None)

    # Then
    assert _core(snapshot) == (None, NECESSARY_ONLY, False)


def test_consent_resolve__no_subject_and_warm_registry__makes_no_query(
    db, django_assert_num_queries
):
    # Given
    consent_resolve(subject_id=None)

    # When
    with django_assert_num_queries(0):
        snapshot = consent_resolve(subject_id=None)

    # Then
    assert snapshot.purposes == NECESSARY_ONLY


def test_consent_resolve__unknown_subject__is_necessary_only_and_cached(
    db, django_assert_num_queries
):
    # Given a well-formed id nobody has
    consent_resolve(subject_id="nobody-has-this-id")

    # When
    with django_assert_num_queries(0):
        snapshot = consent_resolve(subject_id="nobody-has-this-id")

    # Then
    assert _core(snapshot) == (None, NECESSARY_ONLY, False)


@pytest.mark.parametrize("subject_id", ["", "has spaces", "x" * 33, "a:b", "ünïcode"])
def test_consent_resolve__malformed_id__is_necessary_only_without_a_lookup(
    db, subject_id, django_assert_num_queries
):
    # Given a warm purpose registry
    purpose_keys()

    # When
    with django_assert_num_queries(0):
        snapshot = consent_resolve(subject_id=subject_id)

    # Then
    assert _core(snapshot) == (None, NECESSARY_ONLY, False)


def test_consent_resolve__warm_subject__makes_no_query(
    subject, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    cache.clear()
    consent_resolve(subject_id=subject.public_id)

    # When
    with django_assert_num_queries(0):
        snapshot = consent_resolve(subject_id=subject.public_id)

    # Then
    assert _core(snapshot) == (
        subject.public_id,
        {**NECESSARY_ONLY, "personalization": True},
        False,
    )


def test_consent_resolve__after_a_change_commits__serves_it_without_a_query(
    subject, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given a warm, granted state
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    assert consent_resolve(subject_id=subject.public_id).purposes["personalization"] is True

    # When consent is withdrawn
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"personalization": False}, source=Source.API)

    # Then the very next read has it, still from the cache
    with django_assert_num_queries(0):
        snapshot = consent_resolve(subject_id=subject.public_id)
    assert snapshot.purposes["personalization"] is False


def test_consent_resolve__grant_expired_in_the_database__is_not_granted(subject):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.API)
    ConsentState.objects.filter(subject=subject).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    cache.clear()

    # When
    snapshot = consent_resolve(subject_id=subject.public_id)

    # Then
    assert snapshot.purposes["measurement"] is False


def test_consent_resolve__grant_lapses_while_cached__is_not_granted(
    subject, settings, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given a 30-day grant, cached
    settings.TACTFUL = {**settings.TACTFUL, "CONSENT_GRANT_DAYS": 30}
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"measurement": True}, source=Source.API)
    assert consent_resolve(subject_id=subject.public_id).purposes["measurement"] is True

    # When 31 days have passed and the entry is still cached
    later = timezone.now() + timedelta(days=31)
    monkeypatch.setattr("consent.selectors.state.timezone.now", lambda: later)
    with django_assert_num_queries(0):
        snapshot = consent_resolve(subject_id=subject.public_id)

    # Then
    assert snapshot.purposes["measurement"] is False


def test_consent_resolve__cache_raises__read_from_the_database_and_logged(
    subject, monkeypatch, caplog
):
    # Given a granted subject and a cache that is down
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    monkeypatch.setattr("consent.selectors.state.cache", BrokenCache())

    # When
    with caplog.at_level(logging.WARNING, logger="consent.selectors"):
        snapshot = consent_resolve(subject_id=subject.public_id)

    # Then the database, which holds the truth, answers
    assert snapshot.subject_id == subject.public_id
    assert snapshot.allows("personalization") is True
    assert "reading the database" in caplog.text


def test_consent_resolve__cache_and_database_raise__fails_closed(subject, monkeypatch):
    # Given a granted subject, a cache that is down and a database that is down
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    monkeypatch.setattr("consent.selectors.state.cache", BrokenCache())

    def database_down(execute, sql, params, many, context):
        raise OperationalError("database down")

    # When
    with connection.execute_wrapper(database_down):
        snapshot = consent_resolve(subject_id=subject.public_id)

    # Then
    assert _core(snapshot) == (None, {"necessary": True}, False)


def test_consent_resolve__database_raises__fails_closed(subject):
    # Given a granted subject, not cached, and a database that is down
    consent_update(subject=subject, purposes={"personalization": True}, source=Source.API)
    cache.clear()

    def database_down(execute, sql, params, many, context):
        raise OperationalError("database down")

    # When
    with connection.execute_wrapper(database_down):
        snapshot = consent_resolve(subject_id=subject.public_id)

    # Then
    assert snapshot.allows("personalization") is False
    assert snapshot.allows("necessary") is True


def test_consent_for_request__gpc_header__turns_advertising_off_and_records_one_signal(
    subject, django_assert_num_queries, django_capture_on_commit_callbacks
):
    # Given a subject who granted advertising
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)

    # When two requests carry Sec-GPC: 1
    with django_capture_on_commit_callbacks(execute=True):
        first = consent_for_request(_request(subject, **{"Sec-GPC": "1"}))
    with django_assert_num_queries(0):
        second = consent_for_request(_request(subject, **{"Sec-GPC": "1"}))

    # Then advertising is off for both and the signal was recorded once
    assert (first.purposes["advertising"], first.gpc) == (False, True)
    assert (second.purposes["advertising"], second.gpc) == (False, True)
    signals = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.SIGNAL)
    assert [(e.subject_id, e.raw_signal) for e in signals] == [(subject.pk, "Sec-GPC: 1")]


def test_consent_for_request__no_header_after_gpc__keeps_advertising_off(
    subject, django_capture_on_commit_callbacks
):
    # Given a subject whose GPC signal was honoured after an advertising grant
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)
        consent_for_request(_request(subject, **{"Sec-GPC": "1"}))

    # When a later request comes without the header
    snapshot = consent_for_request(_request(subject))

    # Then it is not an opt-in
    assert (snapshot.purposes["advertising"], snapshot.gpc) == (False, True)


@pytest.mark.parametrize("value", ["0", "true", " 1", "1, 1"])
def test_consent_for_request__gpc_header_not_exactly_1__is_ignored(subject, value):
    # Given
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)

    # When
    snapshot = consent_for_request(_request(subject, **{"Sec-GPC": value}))

    # Then
    assert (snapshot.purposes["advertising"], snapshot.gpc) == (True, False)
    assert not ConsentEvent.objects.filter(kind=ConsentEvent.Kind.SIGNAL).exists()


def test_consent_for_request__gpc_without_subject__honours_it_without_writing(
    db, django_assert_num_queries
):
    # Given a warm purpose registry
    purpose_keys()

    # When
    with django_assert_num_queries(0):
        snapshot = consent_for_request(_request(**{"Sec-GPC": "1"}))

    # Then
    assert _core(snapshot) == (None, NECESSARY_ONLY, True)


def test_consent_for_request__recording_gpc_fails__still_turns_advertising_off(
    subject, monkeypatch, caplog
):
    # Given a granted subject and a GPC recording that fails
    consent_update(subject=subject, purposes={"advertising": True}, source=Source.BANNER)

    def broken(*, subject):
        raise OperationalError("database down")

    monkeypatch.setattr("consent.services.requests.consent_record_gpc", broken)

    # When
    with caplog.at_level(logging.WARNING, logger="consent.services.requests"):
        snapshot = consent_for_request(_request(subject, **{"Sec-GPC": "1"}))

    # Then
    assert snapshot.purposes["advertising"] is False
    assert "GPC signal" in caplog.text


def test_consent_events_for__a_history__lists_it_oldest_first(subject, subject_factory):
    # Given
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.API)
    consent_update(subject=subject, purposes={"measurement": False}, source=Source.API)
    consent_update(subject=subject_factory(), purposes={"measurement": True}, source="api")

    # When
    events = list(consent_events_for(subject_id=subject.public_id))

    # Then
    assert [(e.purpose.key, e.kind) for e in events] == [
        ("measurement", "grant"),
        ("measurement", "withdraw"),
    ]


def test_subject_group_name__any_public_id__is_a_valid_channels_group_name(subject):
    # Given

    # When
    group = subject_group_name(subject.public_id)

    # Then
    assert re.fullmatch(r"[a-zA-Z0-9._-]{1,99}", group)
    assert subject.public_id in group
