"""Request plumbing: HTTP metrics by route, probes by address, outages answered with 503."""

import pytest
from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from config.middleware import RequestContextMiddleware, unavailable_component
from tests.faults.outages import database_down
from tests.observability.samples import sample

pytestmark = pytest.mark.django_db


def test_http_metrics__decide__counted_under_its_route_pattern(client):
    # Given
    labels = {"method": "POST", "route": "/api/v1/decide", "status": "200"}
    before = sample("tactful_http_requests_total", **labels)
    # When
    client.post("/api/v1/decide", data=b"{}", content_type="application/json")
    # Then
    assert sample("tactful_http_requests_total", **labels) == before + 1
    assert sample("tactful_http_request_duration_seconds_count", route="/api/v1/decide") >= 1


def test_http_metrics__unknown_path__one_label_whatever_the_path(client):
    # Given
    labels = {"method": "GET", "route": "<unmatched>", "status": "404"}
    before = sample("tactful_http_requests_total", **labels)
    # When two different unknown paths are asked for
    client.get("/no/such/page-1")
    client.get("/no/such/page-2")
    # Then the raw paths never become labels
    assert sample("tactful_http_requests_total", **labels) == before + 2


def test_probe__foreign_host_header__still_answered(client, settings):
    # Given a production host list, and a kubelet asking by pod address
    settings.ALLOWED_HOSTS = ["tactful.example.com"]
    # When
    probe = client.get("/healthz", headers={"Host": "10.1.2.3:8000"})
    other = client.get("/api/v1/consent", headers={"Host": "10.1.2.3:8000"})
    # Then the probe is answered, anything else still refused
    assert probe.status_code == 200
    assert other.status_code == 400


def test_probe__plain_http_in_production__not_redirected(client, settings):
    # Given HTTPS redirection on
    settings.SECURE_SSL_REDIRECT = True
    # When probes come over plain HTTP
    # Then they are answered, while pages are redirected
    assert client.get("/healthz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert client.get("/api/v1/consent").status_code == 301


def test_outage__database_unreachable_in_a_view__503_with_clear_body(client, demo):
    # Given the database goes away
    before = sample("tactful_degraded_total", component="database")
    with database_down():
        # When a view needs it (a consent write)
        response = client.put(
            "/api/v1/consent",
            data=b'{"purposes": {"personalization": true}}',
            content_type="application/json",
        )
    # Then a 503 in the API's error shape, with a hint to retry, and the metric shows it
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert "database" in response.json()["error"]["message"]
    assert sample("tactful_degraded_total", component="database") == before + 1


def test_outage__other_exception__left_to_django():
    # Given a view failing with a bug, not an outage
    middleware = RequestContextMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    # Then the middleware does not hide it
    assert middleware.process_exception(request, ValueError("bug")) is None
    assert unavailable_component(OperationalError("x")) == "database"
