"""Consent versions: a write answered is never undone by a stale cache or by a write in flight."""

import logging

import pytest
from django.core.cache import cache

from config.cache import cache_set_max
from consent.models import SubjectChange
from consent.selectors import consent_resolve, subject_cache_key
from consent.services import consent_update, consent_withdraw
from consent.services.announce import changes_react_pending
from consent.versions import consent_version_publish, consent_versions_forget, version_key

pytestmark = pytest.mark.django_db

PERSONALIZATION = {"personalization": True}


@pytest.fixture
def granted(subject, django_capture_on_commit_callbacks):
    """A subject who granted personalization, its record cached at version 1."""
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(subject=subject, purposes=PERSONALIZATION, source="api")
    assert consent_resolve(subject_id=subject.public_id).version == 1
    return subject


def _withdraw_with_the_cache_down(subject, monkeypatch, callbacks) -> int:
    """Withdraw personalization while nothing after commit can reach the cache (Redis cut)."""

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    with monkeypatch.context() as patch, callbacks(execute=True):
        patch.setattr("consent.services.announce.consent_record_store", down)
        patch.setattr("consent.versions.cache_set_max", down)
        patch.setattr("personalization.receivers.signals_delete", down)
        snapshot = consent_withdraw(subject=subject, purposes=["personalization"], source="api")
    return snapshot.version


def test_consent_resolve__cached_record_older_than_the_token__read_from_the_database(
    granted, monkeypatch, django_capture_on_commit_callbacks
):
    # Given a withdrawal whose after-commit refresh of the cache failed: it still says granted
    version = _withdraw_with_the_cache_down(
        granted, monkeypatch, django_capture_on_commit_callbacks
    )
    assert cache.get(subject_cache_key(granted.public_id)).version == 1
    # When the visitor presents the token the withdrawal answered with
    snapshot = consent_resolve(subject_id=granted.public_id, version=version)
    # Then the stale record is not trusted: the database answers
    assert snapshot.version == version == 2
    assert snapshot.allows("personalization") is False


def test_consent_resolve__another_process_published_a_newer_version__read_from_the_database(
    granted, django_capture_on_commit_callbacks
):
    # Given a record cached at version 1, and a withdrawal committed by another process whose
    # version reached the shared cache but whose record did not
    stale = cache.get(subject_cache_key(granted.public_id))
    with django_capture_on_commit_callbacks(execute=True):
        consent_withdraw(subject=granted, purposes=["personalization"], source="api")
    cache.set(subject_cache_key(granted.public_id), stale)
    consent_versions_forget()
    # When a request with an old token (version 0) reads consent
    snapshot = consent_resolve(subject_id=granted.public_id, version=0)
    # Then the shared version says the record is stale
    assert snapshot.allows("personalization") is False


def test_withdrawal__reactions_failed__retried_until_done_and_never_undone(
    granted, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    # Given a withdrawal while the cache was cut: its reactions wait in the outbox
    with caplog.at_level(logging.WARNING):
        _withdraw_with_the_cache_down(granted, monkeypatch, django_capture_on_commit_callbacks)
    assert SubjectChange.objects.filter(public_id=granted.public_id).exists()
    # When the cache is back and the periodic sweep runs
    assert changes_react_pending(older_than=0) == 1
    # Then the outbox is empty, and even the oldest token reads the withdrawal from the cache
    assert not SubjectChange.objects.exists()
    assert cache.get(subject_cache_key(granted.public_id)).version == 2
    assert consent_resolve(subject_id=granted.public_id, version=0).allows("personalization") is (
        False
    )


def test_consent_version_publish__out_of_order__never_lowered(db):
    # When two processes publish a subject's versions in the wrong order
    consent_version_publish(subject_id="someone", version=5)
    consent_version_publish(subject_id="someone", version=4)
    # Then the shared cache keeps the newest
    assert cache.get(version_key("someone")) == 5
    assert cache_set_max(version_key("someone"), 3, timeout=60) == 5
