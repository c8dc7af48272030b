"""Tests of the staff groups: marketers configure, privacy officers see consent proof."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from consent.models import ConsentEvent, NoticeVersion, Source
from consent.permissions import MARKETERS, PRIVACY_OFFICERS
from consent.services import consent_update


@pytest.fixture
def staff(user_factory):
    def login(group: str) -> Client:
        user = user_factory(is_staff=True)
        user.groups.add(Group.objects.get(name=group))
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def event(subject):
    consent_update(subject=subject, purposes={"measurement": True}, source=Source.BANNER)
    return ConsentEvent.objects.get()


@pytest.mark.parametrize(
    "url",
    [
        "admin:personalization_segment_changelist",
        "admin:personalization_segment_add",
        "admin:personalization_placement_changelist",
        "admin:personalization_placement_add",
        "admin:personalization_experiment_changelist",
        "admin:personalization_revision_changelist",
    ],
)
def test_marketer__configuration_pages__are_open(staff, url):
    # Given
    client = staff(MARKETERS)

    # When
    response = client.get(reverse(url))

    # Then
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "admin:consent_consentevent_changelist",
        "admin:consent_subject_changelist",
        "admin:consent_noticeversion_changelist",
        "admin:consent_purpose_changelist",
        "admin:consent_preferencekey_changelist",
    ],
)
def test_marketer__consent_pages__are_forbidden(staff, url):
    # Given
    client = staff(MARKETERS)

    # When
    response = client.get(reverse(url))

    # Then
    assert response.status_code == 403


def test_marketer__a_subject_and_its_consent__are_forbidden(staff, event):
    # Given
    client = staff(MARKETERS)

    # When
    subject = client.get(reverse("admin:consent_subject_change", args=[event.subject_id]))
    consent_at = client.get(reverse("admin:consent_subject_consent_at", args=[event.subject_id]))

    # Then
    assert (subject.status_code, consent_at.status_code) == (403, 403)


@pytest.mark.parametrize(
    "url",
    [
        "admin:consent_consentevent_changelist",
        "admin:consent_subject_changelist",
        "admin:consent_noticeversion_changelist",
        "admin:consent_noticeversion_add",
        "admin:consent_purpose_changelist",
        "admin:consent_purpose_add",
        "admin:consent_preferencekey_add",
    ],
)
def test_privacy_officer__consent_pages__are_open(staff, url):
    # Given
    client = staff(PRIVACY_OFFICERS)

    # When
    response = client.get(reverse(url))

    # Then
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    ["admin:personalization_segment_add", "admin:personalization_placement_changelist"],
)
def test_privacy_officer__marketing_configuration__is_forbidden(staff, url):
    # Given
    client = staff(PRIVACY_OFFICERS)

    # When
    response = client.get(reverse(url))

    # Then
    assert response.status_code == 403


def test_privacy_officer__consent_event__can_be_read_but_never_changed(staff, event):
    # Given
    client = staff(PRIVACY_OFFICERS)
    url = reverse("admin:consent_consentevent_change", args=[event.pk])

    # When
    view = client.get(url)
    change = client.post(url, {"granted": ""})
    delete = client.post(
        reverse("admin:consent_consentevent_delete", args=[event.pk]), {"post": "yes"}
    )

    # Then
    assert view.status_code == 200
    assert (change.status_code, delete.status_code) == (403, 403)
    event.refresh_from_db()
    assert event.granted is True


def test_privacy_officer__subject__shows_consent_at_a_time_with_the_notice_and_chain(staff, event):
    # Given
    client = staff(PRIVACY_OFFICERS)
    notice = NoticeVersion.objects.get(version=1)
    at = (event.created_at + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")

    # When
    subject_page = client.get(reverse("admin:consent_subject_change", args=[event.subject_id]))
    consent_at = client.get(
        reverse("admin:consent_subject_consent_at", args=[event.subject_id]), {"at": at}
    )

    # Then
    assert "Verified: 1 events" in subject_page.content.decode()
    page = consent_at.content.decode()
    assert consent_at.status_code == 200
    assert "Hash chain verified: 1 event" in page
    assert notice.content_hash in page
    rows = {row.purpose.key: (row.granted, row.basis) for row in consent_at.context["rows"]}
    assert rows["measurement"] == (True, "choice")
    assert rows["personalization"] == (False, "default")


def test_consent_at__before_the_grant__shows_it_not_yet_granted(admin_client, event):
    # Given a moment a minute before the event
    earlier = (event.created_at.replace(microsecond=0)).timestamp() - 60

    # When
    response = admin_client.get(
        reverse("admin:consent_subject_consent_at", args=[event.subject_id]),
        {
            "at": __import__("datetime")
            .datetime.fromtimestamp(earlier)
            .strftime("%Y-%m-%dT%H:%M:%S")
        },
    )

    # Then
    rows = {row.purpose.key: row for row in response.context["rows"]}
    assert (rows["measurement"].granted, rows["measurement"].event) == (False, None)


def test_consent_at__malformed_time__shows_a_form_error_not_a_500(admin_client, event):
    # Given

    # When
    response = admin_client.get(
        reverse("admin:consent_subject_consent_at", args=[event.subject_id]), {"at": "yesterday"}
    )

    # Then
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["rows"] == []
