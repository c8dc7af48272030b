"""Tests of the consent admin: an editable registry, a read-only subject list and consent log."""

import pytest
from django.db import models
from django.urls import reverse

from consent.models import ConsentEvent, NoticeVersion, PreferenceKey, Purpose, Source, Subject
from consent.selectors import consent_resolve, purpose_keys
from consent.services import consent_update


@pytest.fixture
def event(subject):
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.BANNER)
    return ConsentEvent.objects.get()


def test_purpose_admin__superuser_adds_a_purpose__it_is_saved_and_known(
    admin_client, django_capture_on_commit_callbacks
):
    # Given a warm purpose registry
    purpose_keys()

    # When
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:consent_purpose_add"),
            {
                "key": "research",
                "name": "Research",
                "description": "Helps us understand how the site is used.",
                "example": "Counting visits per page.",
                "retention_days": 30,
                "tcf_purposes": "[9]",
                "consent_mode_types": '["analytics_storage"]',
                "order": 40,
            },
        )

    # Then
    assert response.status_code == 302
    assert Purpose.objects.get(key="research").tcf_purposes == [9]
    assert purpose_keys()[-1] == "research"


def test_purpose_admin__bad_tcf_mapping__shows_a_form_error(admin_client):
    # Given

    # When
    response = admin_client.post(
        reverse("admin:consent_purpose_add"),
        {
            "key": "research",
            "name": "Research",
            "description": "d",
            "example": "e",
            "retention_days": 30,
            "tcf_purposes": "[99]",
            "consent_mode_types": "[]",
            "order": 40,
        },
    )

    # Then
    assert response.status_code == 200
    assert "IAB TCF purpose ids between 1 and 11" in response.content.decode()
    assert not Purpose.objects.filter(key="research").exists()


def test_purpose_admin__existing_purpose__key_is_read_only(admin_client):
    # Given
    purpose = Purpose.objects.get(key="measurement")

    # When
    response = admin_client.get(reverse("admin:consent_purpose_change", args=[purpose.pk]))

    # Then
    assert response.status_code == 200
    assert "key" not in response.context["adminform"].form.fields


def test_subject_admin__superuser__can_view_but_not_add_change_or_delete(admin_client, subject):
    # Given

    # When
    changelist = admin_client.get(reverse("admin:consent_subject_changelist"))
    view = admin_client.get(reverse("admin:consent_subject_change", args=[subject.pk]))
    add = admin_client.get(reverse("admin:consent_subject_add"))
    change = admin_client.post(reverse("admin:consent_subject_change", args=[subject.pk]), {})
    delete = admin_client.post(
        reverse("admin:consent_subject_delete", args=[subject.pk]), {"post": "yes"}
    )

    # Then
    assert (changelist.status_code, view.status_code) == (200, 200)
    assert subject.public_id in changelist.content.decode()
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert Subject.objects.filter(pk=subject.pk).exists()


@pytest.mark.parametrize("field", ["kind", "source", "purpose__id", "granted"])
def test_consent_event_admin__each_filter__lists_the_matching_events(admin_client, event, field):
    # Given a filter value that matches the event
    value = {"purpose__id": event.purpose_id, "granted": 1}.get(field, getattr(event, field, None))

    # When
    response = admin_client.get(
        reverse("admin:consent_consentevent_changelist"), {f"{field}__exact": value}
    )

    # Then
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [event]


def test_consent_event_admin__kind_filter__lists_only_that_kind(admin_client, event):
    # Given

    # When
    grants = admin_client.get(reverse("admin:consent_consentevent_changelist") + "?kind=grant")
    withdrawals = admin_client.get(
        reverse("admin:consent_consentevent_changelist") + "?kind=withdraw"
    )

    # Then
    assert list(grants.context["cl"].result_list) == [event]
    assert list(withdrawals.context["cl"].result_list) == []


def test_consent_event_admin__superuser__cannot_add_change_or_delete(admin_client, event):
    # Given
    change_url = reverse("admin:consent_consentevent_change", args=[event.pk])

    # When
    view = admin_client.get(change_url)
    add = admin_client.get(reverse("admin:consent_consentevent_add"))
    change = admin_client.post(change_url, {"kind": "refuse", "granted": ""})
    delete = admin_client.post(
        reverse("admin:consent_consentevent_delete", args=[event.pk]), {"post": "yes"}
    )
    bulk_delete = admin_client.post(
        reverse("admin:consent_consentevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    # Then
    assert view.status_code == 200
    assert not view.context["has_change_permission"]
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk_delete.context["action_form"] is None  # no bulk delete action on offer
    event.refresh_from_db()
    assert (event.kind, event.granted) == ("grant", True)
    assert ConsentEvent.objects.count() == 1


def _notice_form(**fields):
    return {
        "version": 2,
        "title": "Notice v2",
        "language": "en",
        "text": "What we do with data, v2.",
        "reconsent_purposes": ["personalization"],
        "translations-TOTAL_FORMS": 0,
        "translations-INITIAL_FORMS": 0,
        **fields,
    }


def test_notice_admin__draft_then_publish_action__publishes_with_its_hash(
    admin_client, django_capture_on_commit_callbacks
):
    # Given a draft saved from the admin
    response = admin_client.post(reverse("admin:consent_noticeversion_add"), _notice_form())
    assert response.status_code == 302
    draft = NoticeVersion.objects.get(version=2)
    assert (draft.published_at, draft.reconsent_purposes) == (None, ["personalization"])

    # When
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:consent_noticeversion_changelist"),
            {"action": "publish", "_selected_action": [draft.pk]},
        )

    # Then
    draft.refresh_from_db()
    assert draft.published_at is not None
    assert draft.content_hash == draft.content_digest()
    assert consent_resolve(subject_id=None).notice == 2


def test_notice_admin__published_version__is_read_only_but_takes_translations(admin_client):
    # Given the seeded, published version 1
    notice = NoticeVersion.objects.get(version=1)
    url = reverse("admin:consent_noticeversion_change", args=[notice.pk])

    # When
    response = admin_client.post(
        url,
        {
            "text": "Rewritten.",
            "translations-TOTAL_FORMS": 1,
            "translations-INITIAL_FORMS": 0,
            "translations-0-language": "fr",
            "translations-0-title": "Vos données",
            "translations-0-text": "Texte.",
        },
    )

    # Then
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.text != "Rewritten."
    assert notice.translations.get().title == "Vos données"
    assert not admin_client.get(url).context["has_delete_permission"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"key": "religion", "label": "Religion", "noun": "faith"}, "key"),
        (
            {"key": "topics", "label": "Topics", "noun": "topic", "options-0-value": "diabetes"},
            None,
        ),
    ],
    ids=["sensitive-key", "sensitive-value"],
)
def test_preference_admin__sensitive_key_or_value__is_a_form_error(admin_client, fields, field):
    # Given
    data = {
        "description": "",
        "multiple": "on",
        "order": 0,
        "options-TOTAL_FORMS": 1,
        "options-INITIAL_FORMS": 0,
        "options-0-value": "outdoor",
        "options-0-label": "Outdoor",
        "options-0-order": 0,
        **fields,
    }

    # When
    response = admin_client.post(reverse("admin:consent_preferencekey_add"), data)

    # Then
    assert response.status_code == 200
    assert "sensitive category" in response.content.decode()
    assert not PreferenceKey.objects.filter(key=fields["key"]).exists()


def test_preference_admin__valid_key_with_values__is_saved(admin_client):
    # Given
    data = {
        "key": "styles",
        "label": "Styles",
        "noun": "style",
        "description": "",
        "multiple": "on",
        "order": 1,
        "options-TOTAL_FORMS": 2,
        "options-INITIAL_FORMS": 0,
        "options-0-value": "casual",
        "options-0-label": "Casual",
        "options-0-order": 0,
        "options-1-value": "formal",
        "options-1-label": "Formal",
        "options-1-order": 1,
    }

    # When
    response = admin_client.post(reverse("admin:consent_preferencekey_add"), data)

    # Then
    assert response.status_code == 302
    key = PreferenceKey.objects.get(key="styles")
    assert list(key.options.values_list("value", flat=True)) == ["casual", "formal"]


def test_subject_admin__tampered_chain__page_lists_each_problem(admin_client, subject):
    # Given a chain whose last event was deleted and whose projection was edited
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.BANNER)
    consent_update(subject=subject, purposes={"measurement": False}, source=Source.BANNER)
    models.QuerySet.delete(ConsentEvent.objects.filter(subject=subject, sequence=2))

    # When a privacy officer opens the subject, and its consent at a given time
    page = admin_client.get(reverse("admin:consent_subject_change", args=[subject.pk]))
    at = admin_client.get(reverse("admin:consent_subject_consent_at", args=[subject.pk]))

    # Then both pages say it failed, and why, in plain words
    deleted = "the chain ends at event #1 but its head records 2 events: the last 1 were deleted."
    for response in (page, at):
        html = response.content.decode()
        assert response.status_code == 200
        assert "FAILED" in html
        assert deleted in html
        assert "the current state of measurement says not granted (Banner, " in html


def test_subject_admin__intact_chain__page_says_verified(admin_client, event):
    # Given a subject's one-event chain

    # When
    page = admin_client.get(reverse("admin:consent_subject_change", args=[event.subject_id]))

    # Then
    assert "Verified: 1 events, sealed, none altered, removed or reordered" in page.content.decode()
