"""The reports API: staff sessions or report keys only, the admin's figures as JSON."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from consent.permissions import MARKETERS
from personalization.outcomes.cohorts import Cohort as CohortKey
from personalization.outcomes.cohorts import Kind
from personalization.outcomes.models import ReportApiKey
from personalization.outcomes.services import report_key_create
from tests.personalization.outcomes.factories import aggregate, conversions, goal

pytestmark = pytest.mark.django_db

TODAY = datetime.now(UTC).date()
EXPERIMENT = "/api/v1/reports/experiments/free-shipping-test"
PLACEMENT = "/api/v1/reports/placements/home-hero"


def arm(variant: str) -> CohortKey:
    return CohortKey(Kind.ARM, "free-shipping-banner", "free-shipping-test", variant=variant)


@pytest.fixture
def key(db) -> str:
    return report_key_create(key=ReportApiKey(name="BI"))


@pytest.fixture
def results(demo, settings):
    settings.TACTFUL = {**settings.TACTFUL, "REPORT_MIN_GROUP": 50}
    purchase = goal()
    aggregate(arm("on"), TODAY, visitors=2000, goals=conversions(purchase, 100))
    aggregate(arm("off"), TODAY, visitors=40, goals=conversions(purchase, 3))


@pytest.mark.parametrize("path", [EXPERIMENT, PLACEMENT])
def test_reports__anonymous__401_bearer_challenge(client: Client, demo, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="reports"'
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header", ["Bearer tfr_nope", "Bearer", "Bearer a b", "Bearer " + "x" * 300]
)
def test_reports__bad_key__401(client: Client, demo, header):
    response = client.get(EXPERIMENT, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_reports__revoked_key__401(client: Client, demo, key):
    ReportApiKey.objects.update(revoked_at=datetime.now(UTC))
    assert client.get(EXPERIMENT, headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_reports__key__the_figures_with_small_groups_hidden(client: Client, results, key):
    # When a BI tool asks with its key
    response = client.get(EXPERIMENT, headers={"Authorization": f"Bearer {key}"})
    # Then it gets the report, the arm under k without a figure, and the key's use is noted
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["key"], body["control"], body["k"], body["current"]) == (
        "experiment",
        "free-shipping-test",
        "on",
        50,
        True,
    )
    [section] = body["sections"]
    assert [(g["key"], g["visitors"]) for g in section["groups"]] == [("on", 2000), ("off", None)]
    assert section["sample_ratio"] is None
    purchase = next(g for g in section["goals"] if g["key"] == "purchase")
    on, off = purchase["groups"]
    assert on["estimate"]["estimate"] == pytest.approx(0.05)
    assert (off["shown"], off["visitors"], off["converters"], off["estimate"]) == (
        False,
        None,
        None,
        None,
    )
    assert ReportApiKey.objects.get().last_used_at is not None


def test_reports__marketer_session__200(client: Client, results):
    user = get_user_model().objects.create_user("mia", password="pw-mia-123456", is_staff=True)
    user.groups.add(Group.objects.get(name=MARKETERS))
    client.force_login(user)
    response = client.get(PLACEMENT)
    assert response.status_code == 200
    assert response.json()["control"] == "holdout"


def test_reports__staff_without_permission__403(client: Client, demo):
    user = get_user_model().objects.create_user("ivy", password="pw-ivy-1234567", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_placement"))
    client.force_login(user)
    assert client.get(EXPERIMENT).status_code == 403


def test_reports__unknown_key__404(client: Client, demo, key):
    response = client.get(
        "/api/v1/reports/experiments/nope", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_schema__reports__declared_with_bearer_and_errors(client: Client, db):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/reports/experiments/{key}", "/api/v1/reports/placements/{key}"):
        operation = schema["paths"][path]["get"]
        assert set(operation["responses"]) == {"200", "401", "403", "404"}
        assert {"reportKey": []} in operation["security"]
    assert schema["components"]["securitySchemes"]["reportKey"]["scheme"] == "bearer"
