"""CORS: other origins may use the APIs only when listed; the websocket follows the same list."""

from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client

from config.origins import CorsOriginValidator

SHOP = "https://shop.example.com"


@pytest.fixture
def shop_allowed(settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = [SHOP]


def _preflight(client: Client, path: str, origin: str, headers: str) -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": headers,
        },
    )


def test_cors__listed_origin_preflight__subject_header_and_credentials_allowed(shop_allowed):
    # When a storefront on a listed origin asks before sending the subject header
    response = _preflight(Client(), "/api/v1/consent", SHOP, "content-type,x-tactful-subject")
    # Then the browser may send it, with credentials, to this origin only
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-tactful-subject", "if-none-match"} <= allowed
    assert "PUT" in response["Access-Control-Allow-Methods"]


def test_cors__listed_origin_consent_put__new_token_header_readable(shop_allowed, db):
    # When a listed origin records a choice
    response = Client().put(
        "/api/v1/consent",
        {"purposes": {"personalization": True}},
        content_type="application/json",
        headers={"Origin": SHOP},
    )
    # Then the page may read the subject's new token from the response header too
    assert response.status_code == 200
    assert response["X-Tactful-Subject"]
    assert "X-Tactful-Subject" in response["Access-Control-Expose-Headers"]
    assert "X-Tactful-Consent" in response["Access-Control-Expose-Headers"]


def test_cors__listed_origin_ofrep_bulk__etag_readable(shop_allowed, db):
    # When a listed origin evaluates every flag
    response = Client().post(
        "/ofrep/v1/evaluate/flags",
        {"context": {}},
        content_type="application/json",
        headers={"Origin": SHOP},
    )
    # Then the page may read the answer and its ETag (for If-None-Match)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_cors__unlisted_origin__no_cors_headers(shop_allowed):
    # When another origin asks
    response = _preflight(Client(), "/api/v1/consent", "https://evil.example", "content-type")
    # Then the browser is given no permission
    assert "Access-Control-Allow-Origin" not in response


def test_cors__default_empty_list__same_origin_only(settings):
    # Given the default configuration
    settings.CORS_ALLOWED_ORIGINS = []
    # When any other origin asks
    response = _preflight(Client(), "/api/v1/decide", SHOP, "content-type")
    # Then it gets no permission
    assert "Access-Control-Allow-Origin" not in response


def test_cors__privacy_center__never_cross_origin(shop_allowed, db):
    # When a listed origin reads the privacy center (a page, with forms)
    response = Client().get("/privacy/", headers={"Origin": SHOP})
    # Then it is not shared across origins
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def _admitted(origin: str | None) -> bool:
    validator = CorsOriginValidator(application=None)
    return bool(validator.valid_origin(urlparse(origin) if origin is not None else None))


def test_websocket_origin__cors_origin__accepted_exactly(shop_allowed):
    # When the listed storefront opens a socket, it is accepted, with that scheme and port only
    assert _admitted(SHOP) is True
    assert _admitted("http://shop.example.com") is False
    assert _admitted("https://shop.example.com:8443") is False


def test_websocket_origin__own_host_or_other__as_allowed_hosts(shop_allowed):
    # The site's own pages keep working; any other origin, or none, is refused
    assert _admitted("http://127.0.0.1:8000") is True
    assert _admitted("https://evil.example") is False
    assert _admitted(None) is False
