"""Tests of notice versions: immutable once published, re-consent per purpose, translations."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from consent.exceptions import NoticeImmutable, UnknownNotice
from consent.models import NoticeTranslation, NoticeVersion, Source
from consent.selectors import consent_resolve, notice_current, notice_text
from consent.services import consent_update, notice_publish, notice_translation_save


def _rewrite(notice):
    notice.text = "Changed."
    return notice


@pytest.fixture
def granted(subject, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        consent_update(
            subject=subject,
            purposes={"personalization": True, "measurement": True, "advertising": False},
            source=Source.PRIVACY_CENTER,
        )
    return subject


def test_notice_publish__draft__fixes_its_hash_and_takes_effect(
    notice_factory, django_capture_on_commit_callbacks
):
    # Given
    draft = notice_factory()

    # When
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_publish(notice=draft)

    # Then
    assert notice.content_hash == notice.content_digest()
    assert len(notice.content_hash) == 64
    assert notice_current() == notice
    assert consent_resolve(subject_id=None).notice == notice.version


@pytest.mark.parametrize(
    "change",
    [
        lambda n: _rewrite(n).save(),
        lambda n: n.delete(),
        lambda n: NoticeVersion.objects.filter(pk=n.pk).update(text="Changed."),
        lambda n: NoticeVersion.objects.filter(pk=n.pk).delete(),
    ],
    ids=["save", "delete", "queryset-update", "queryset-delete"],
)
def test_published_notice__any_change__is_refused(db, change):
    # Given the seeded, published version 1
    notice = NoticeVersion.objects.get(version=1)
    text = notice.text

    # When
    with pytest.raises(NoticeImmutable):
        change(notice)

    # Then
    notice.refresh_from_db()
    assert notice.text == text


@pytest.mark.parametrize(
    ("fields", "effective_in", "field"),
    [
        ({"reconsent_purposes": ["tracking"]}, None, "reconsent_purposes"),
        ({"reconsent_purposes": ["necessary"]}, None, "reconsent_purposes"),
        ({}, timedelta(days=-1), "effective_at"),
    ],
    ids=["unknown-purpose", "always-on-purpose", "in-the-past"],
)
def test_notice_publish__invalid__raises_and_stays_a_draft(
    notice_factory, fields, effective_in, field
):
    # Given
    draft = notice_factory(**fields)
    effective_at = timezone.now() + effective_in if effective_in else None

    # When
    with pytest.raises(ValidationError) as raised:
        notice_publish(notice=draft, effective_at=effective_at)

    # Then
    assert field in raised.value.message_dict
    draft.refresh_from_db()
    assert draft.published_at is None


def test_notice_publish__older_than_a_published_version__raises(notice_factory):
    # Given version 9 is published
    notice_publish(notice=notice_factory(version=9))
    older = notice_factory(version=8)

    # When
    with pytest.raises(ValidationError) as raised:
        notice_publish(notice=older)

    # Then
    assert "version" in raised.value.message_dict
    older.refresh_from_db()
    assert older.published_at is None


def test_new_notice__reconsent_for_one_purpose__asks_only_that_one_again(
    granted, notice_factory, django_capture_on_commit_callbacks
):
    # Given a visitor who granted personalization and measurement and refused advertising

    # When version 2 asks personalization again
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_publish(notice=notice_factory(reconsent_purposes=["personalization"]))

    # Then only personalization is off and asked; the refusal is remembered
    snapshot = consent_resolve(subject_id=granted.public_id)
    assert (snapshot.purposes["personalization"], snapshot.basis["personalization"]) == (
        False,
        "reconsent",
    )
    assert snapshot.purposes["measurement"] is True
    assert snapshot.ask == ("personalization",)
    assert snapshot.notice == notice.version


def test_new_notice__grant_again__is_recorded_under_the_new_version(
    granted, notice_factory, django_capture_on_commit_callbacks
):
    # Given
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_publish(notice=notice_factory(reconsent_purposes=["personalization"]))

    # When
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = consent_update(
            subject=granted, purposes={"personalization": True}, source=Source.PRIVACY_CENTER
        )

    # Then
    assert snapshot.purposes["personalization"] is True
    event = granted.consent_events.order_by("-sequence").first()
    assert (event.kind, event.notice_id) == ("grant", notice.pk)


def test_new_notice__effective_later__keeps_grants_until_then(
    granted, notice_factory, monkeypatch, django_capture_on_commit_callbacks
):
    # Given version 2, effective in a week, asking personalization again
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_publish(
            notice=notice_factory(reconsent_purposes=["personalization"]),
            effective_at=timezone.now() + timedelta(days=7),
        )
    before = consent_resolve(subject_id=granted.public_id)

    # When eight days have passed (the cached registry already knows the date)
    later = timezone.now() + timedelta(days=8)
    monkeypatch.setattr("consent.selectors.state.timezone.now", lambda: later)
    after = consent_resolve(subject_id=granted.public_id)

    # Then
    assert (before.purposes["personalization"], before.notice) == (True, 1)
    assert (after.purposes["personalization"], after.notice) == (False, notice.version)


def test_translation__added_to_the_version_in_force__keeps_consent(
    granted, django_capture_on_commit_callbacks
):
    # Given
    notice = NoticeVersion.objects.get(version=1)

    # When
    notice_translation_save(
        translation=NoticeTranslation(notice=notice, language="fr", title="Vos données", text="…")
    )

    # Then
    assert consent_resolve(subject_id=granted.public_id).purposes["personalization"] is True
    shown = notice_text(notice=notice, language="fr")
    assert (shown.title, shown.language, shown.languages) == ("Vos données", "fr", ("en", "fr"))
    assert notice_text(notice=notice, language="de").language == "en"


def test_consent_update__unpublished_notice_version__raises_and_writes_nothing(
    subject, notice_factory
):
    # Given a draft version 2
    notice_factory()

    # When
    with pytest.raises(UnknownNotice):
        consent_update(
            subject=subject, purposes={"measurement": True}, source="api", notice_version=2
        )

    # Then
    assert not subject.consent_events.exists()
