"""The storefront banner without JavaScript: a form POST recorded as `banner`, then back."""

import pytest
from django.test import Client
from django.urls import reverse

from consent.models import ConsentEvent, Subject
from consent.tokens import SUBJECT_COOKIE

BANNER = reverse("privacy-banner")
SAME_ORIGIN = {"Origin": "http://testserver"}


def _post(client: Client, data: dict[str, str], **headers: str):
    return client.post(BANNER, data, headers=headers)


def test_banner__accept_all_from_the_page__recorded_as_banner_and_back_to_it(client, db):
    # When a visitor without JavaScript presses Accept all on a product page
    response = _post(client, {"choice": "accept", "next": "/?utm_campaign=spring"}, **SAME_ORIGIN)

    # Then they are back on that page, with their choice recorded as made in the banner
    assert response.status_code == 302
    assert response["Location"] == "/?utm_campaign=spring"
    assert response.cookies[SUBJECT_COOKIE]["httponly"]
    events = ConsentEvent.objects.all()
    assert {(e.purpose.key, e.granted, e.source, e.control) for e in events} == {
        ("personalization", True, "banner", "accept-all"),
        ("measurement", True, "banner", "accept-all"),
        ("advertising", True, "banner", "accept-all"),
    }


def test_banner__reject_all__every_optional_purpose_refused(client, db):
    _post(client, {"choice": "reject", "next": "/"}, **SAME_ORIGIN)
    assert {(e.granted, e.control) for e in ConsentEvent.objects.all()} == {(False, "reject-all")}


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Origin": "null"}, {}, {"Sec-Fetch-Site": "cross-site"}],
)
def test_banner__not_from_this_site__refused_403_and_nothing_written(client, db, headers):
    # When another site (or a request that cannot say where it comes from) posts the form
    response = _post(client, {"choice": "accept", "next": "/"}, **headers)
    # Then nothing is recorded
    assert response.status_code == 403
    assert not Subject.objects.exists()


def test_banner__fetch_metadata_without_origin__accepted(client, db):
    response = _post(client, {"choice": "accept"}, **{"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_banner__next_on_another_site__goes_home_instead(client, db):
    response = _post(client, {"choice": "accept", "next": "https://evil.example/"}, **SAME_ORIGIN)
    assert response["Location"] == "/"


def test_banner__unknown_choice__400_and_nothing_written(client, db):
    response = _post(client, {"choice": "maybe"}, **SAME_ORIGIN)
    assert response.status_code == 400
    assert "Accept all or Reject all" in response.content.decode()
    assert not Subject.objects.exists()
