"""The SDK's plain-Django bootstrap example (`sdk/examples/django`), against a live Tactful."""

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from django.test import RequestFactory

from consent.services import consent_update, preferences_update, subject_create
from consent.tokens import subject_token_sign

EXAMPLE = Path(__file__).resolve().parents[2] / "sdk" / "examples" / "django"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def example(settings, live_server, demo_live) -> ModuleType:
    """The example's views, configured as a shop would: Tactful is the live server."""
    settings.TACTFUL_URL = live_server.url
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], EXAMPLE / "templates"]}
    ]
    spec = importlib.util.spec_from_file_location("shop_views", EXAMPLE / "views.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bootstrap(html: str) -> dict:
    found = re.search(r'<script id="tactful-bootstrap" type="application/json">(.*?)</script>', html)
    assert found, "the page carries the SDK's bootstrap"
    return dict(json.loads(found.group(1)))


def test_django_example__campaign_visitor__first_paint_from_tactful(example):
    # When an anonymous visitor arrives from the spring campaign
    response = example.home(RequestFactory().get("/", {"utm_campaign": "spring-sale"}))
    html = response.content.decode()

    # Then the shop's server rendered Tactful's decisions, and hands them to the SDK
    assert response.status_code == 200
    assert '<p id="shipping">Free shipping this week</p>' in html
    boot = _bootstrap(html)
    assert boot["decisions"]["free-shipping-banner"]["value"] is True
    assert boot["consent"]["subject"] is None
    assert boot["subjectToken"] is None


def test_django_example__returning_visitor_with_token__personalized_first_paint(example):
    # Given a visitor who allowed personalization and chose the outdoor interest
    subject = subject_create()
    consent_update(subject=subject, purposes={"personalization": True}, source="banner")
    preferences_update(subject=subject, preferences={"interests": ["outdoor"]})
    token = subject_token_sign(subject.public_id)
    request = RequestFactory().get("/")
    request.COOKIES[example.TOKEN_COOKIE] = token

    # When they come back
    html = example.home(request).content.decode()

    # Then the first paint is theirs, and the SDK continues as the same visitor
    assert '<h1 id="headline">Made for the trail</h1>' in html
    boot = _bootstrap(html)
    assert boot["subjectToken"] == token
    assert boot["consent"]["purposes"]["personalization"] is True


def test_django_example__tactful_unreachable__defaults_and_never_an_error(example, settings):
    settings.TACTFUL_URL = "http://127.0.0.1:9"
    response = example.home(RequestFactory().get("/"))
    assert response.status_code == 200
    assert '<h1 id="headline">Gear for every day</h1>' in response.content.decode()
    assert "decisions" not in _bootstrap(response.content.decode())


def test_django_example__token_endpoint__keeps_the_token_first_party(example):
    factory = RequestFactory()
    kept = example.tactful_token(factory.post("/tactful-token", "abc.2:1x:sig", content_type="text/plain"))
    assert kept.status_code == 204
    assert kept.cookies[example.TOKEN_COOKIE].value == "abc.2:1x:sig"
    assert kept.cookies[example.TOKEN_COOKIE]["httponly"]
    refused = example.tactful_token(factory.post("/tactful-token", "<x>", content_type="text/plain"))
    assert refused.status_code == 400
