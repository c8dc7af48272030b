"""The demo storefront at `/`: server-side first paint, consent banner, nothing stored up front."""

import json
import re

import orjson
import pytest
from django.test import Client
from django.urls import reverse

from consent.tokens import SUBJECT_COOKIE

SHOE_VIEW = {"type": "product_view", "properties": {"category": "shoes"}}
ALL_GRANTED = {"personalization": True, "measurement": True, "advertising": True}


def _bootstrap(response) -> dict:
    match = re.search(
        r'<script id="tactful-bootstrap" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page embeds the SDK's bootstrap"
    return json.loads(match.group(1))


def _banner_shown(response) -> bool:
    tag = re.search(
        r'<section class="consent" id="consent-banner"[^>]*>', response.content.decode()
    )
    assert tag
    return "hidden" not in tag.group(0)


def _accept(client: Client, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            reverse("consent"),
            data=orjson.dumps({"purposes": ALL_GRANTED}),
            content_type="application/json",
        )
    assert response.status_code == 200


def test_storefront__fresh_visitor__renders_the_defaults_and_the_banner(client, demo):
    # Given a visitor who never came

    # When they open the shop
    response = client.get("/")

    # Then the defaults are rendered on the server, with the banner and the privacy center
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gear for every day" in html
    assert 'data-placement="home-hero"\n       data-variant="default"' in html
    assert _banner_shown(response)
    assert 'href="/privacy/"' in html
    assert 'data-consent="reject"' in html
    assert 'data-consent="accept"' in html
    boot = _bootstrap(response)
    assert set(boot["decisions"]) == {"home-hero", "free-shipping-banner", "recommendations"}
    assert boot["defaults"]["recommendations"] == "bestsellers"
    assert boot["consent"]["subject"] is None
    assert boot["revision"] >= 1


def test_storefront__fresh_visitor__gets_no_cookie_at_all(client, demo):
    # Given a visitor who never came

    # When they open the shop
    response = client.get("/")

    # Then nothing is stored on their device: no subject, session or CSRF cookie
    assert response.cookies == {}
    assert "Set-Cookie" not in response.headers


def test_storefront__personalized_page__is_never_cached_by_others(client, demo):
    # Given a shop page, which is made for one visitor

    # When it is served
    response = client.get("/")

    # Then shared caches must not keep it
    assert "private" in response.headers["Cache-Control"]
    assert "no-store" in response.headers["Cache-Control"]


def test_storefront__campaign_link__shows_free_shipping_from_context_alone(client, demo):
    # Given a visitor arriving from the spring campaign, with no consent

    # When they open the shop
    response = client.get("/?utm_campaign=spring-sale")

    # Then the free-shipping strip is on, explained by the campaign
    html = response.content.decode()
    strip = re.search(r'<div class="shipping-banner"[^>]*>', html)
    assert strip and "hidden" not in strip.group(0)
    assert 'data-variant="on"' in strip.group(0)
    assert "Because you arrived from the campaign “spring-sale”" in html
    assert _bootstrap(response)["context"]["utm_campaign"] == "spring-sale"


def test_storefront__phone__gets_the_mobile_hero_with_why(client, demo):
    # Given a visitor on a phone
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"

    # When they open the shop
    response = client.get("/", headers={"user-agent": phone})

    # Then the hero is the mobile one, and "why this?" says it is because of the device
    html = response.content.decode()
    assert "Shop on the go" in html
    assert "Because you are on a mobile device" in html
    assert _bootstrap(response)["context"]["device"] == "mobile"


def test_storefront__visitor_who_chose__sees_no_banner(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a visitor who accepted
    _accept(client, django_capture_on_commit_callbacks)

    # When they come back
    response = client.get("/")

    # Then they are not asked again, and the page knows their consent
    assert not _banner_shown(response)
    consent = _bootstrap(response)["consent"]
    assert consent["purposes"]["personalization"] is True
    assert consent["subject"]


def test_storefront__consenting_visitor_with_shoe_views__first_paint_is_personalized(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a consenting visitor who viewed three pairs of shoes
    _accept(client, django_capture_on_commit_callbacks)
    response = client.post(
        reverse("events"),
        data=orjson.dumps({"events": [SHOE_VIEW] * 3}),
        content_type="application/json",
    )
    assert response.json()["accepted"] == 3

    # When they open the shop
    response = client.get("/")

    # Then the server already renders the shoe hero and picks, with their explanation
    html = response.content.decode()
    assert "Find your next pair" in html
    assert "Picked for you: shoes" in html
    assert "Because you viewed shoes 3 times in the last 30 minutes" in html
    decisions = _bootstrap(response)["decisions"]
    assert decisions["home-hero"]["variant"] == "shoes"
    assert decisions["recommendations"]["value"] == "shoes-first"


def test_storefront__refusing_visitor_with_a_cookie__is_not_personalized(
    client, demo, django_capture_on_commit_callbacks
):
    # Given a visitor who refused personalization (and so has a subject cookie)
    with django_capture_on_commit_callbacks(execute=True):
        client.put(
            reverse("consent"),
            data=orjson.dumps({"purposes": {"personalization": False}}),
            content_type="application/json",
        )
    assert SUBJECT_COOKIE in client.cookies

    # When they open the shop
    response = client.get("/")

    # Then they get the defaults, and the reason says consent was needed
    decisions = _bootstrap(response)["decisions"]
    assert decisions["home-hero"]["variant"] == "default"
    assert decisions["home-hero"]["reason"] == "CONSENT_REQUIRED"


@pytest.mark.django_db
def test_storefront__without_the_demo_configuration__still_renders_built_in_defaults(client):
    # Given a database where seed_demo never ran

    # When the shop is opened
    response = client.get("/")

    # Then it renders the built-in defaults instead of failing
    assert response.status_code == 200
    assert "Gear for every day" in response.content.decode()
    assert _bootstrap(response)["decisions"]["home-hero"]["reason"] == "ERROR"


def test_storefront__banner__first_in_the_tab_order_and_a_form_that_works_without_js(client, demo):
    # When a visitor opens the shop
    html = client.get("/").content.decode()
    # Then the banner comes before anything else focusable, posting its choice back here
    assert html.index('id="consent-banner"') < html.index('class="skip"')
    assert 'method="post" action="/privacy/banner"' in html
    assert '<input type="hidden" name="next" value="/">' in html


def test_storefront__browser_sends_gpc__banner_says_so(client, demo):
    # When the browser sends Global Privacy Control
    with_gpc = client.get("/", headers={"Sec-GPC": "1"}).content.decode()
    without = client.get("/").content.decode()
    # Then the banner says that nothing is sold or shared, whatever the choice
    assert 'consent__gpc" data-gpc>' in with_gpc
    assert 'consent__gpc" data-gpc hidden>' in without
