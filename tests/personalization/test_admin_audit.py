"""The audit log: every change, review and rollback, filterable and exported as CSV."""

import csv
import io

import pytest
from django.urls import reverse

from consent.permissions import MARKETERS, PRIVACY_OFFICERS
from personalization.admin.audit import csv_cell
from personalization.models import AuditEntry, Placement
from tests.personalization.test_admin import placement_form, publish

pytestmark = pytest.mark.django_db


def export(client, query: str = "") -> list[dict[str, str]]:
    response = client.get(reverse("admin:personalization_auditentry_export") + query)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_audit__edit_then_publish__both_logged_and_exported(admin_client, demo):
    # Given a marketer who edits the hero in the admin and publishes it
    hero = Placement.objects.get(key="home-hero")
    data = placement_form(hero, name="Homepage hero")
    admin_client.post(reverse("admin:personalization_placement_change", args=[hero.pk]), data)
    publish(admin_client, "Rename the hero")
    # When the audit log is exported, filtered to what the admin user did
    rows = export(admin_client, "?actor_name=admin")
    # Then the draft edit and the publication are there, oldest first, with who and why
    assert [(r["action"], r["what"], r["key"]) for r in rows] == [
        ("Changed (draft)", "placement", "home-hero"),
        ("Published", "revision", "r2"),
    ]
    assert rows[0]["details"] == "Changed Name."
    assert rows[1]["details"].startswith("Rename the hero")
    assert rows[1]["who"] == "admin" and rows[1]["revision"] == "2"


def test_audit__filter_by_action__same_rows_on_the_page_and_in_the_csv(admin_client, demo):
    AuditEntry.objects.create(actor_name="ana", action="approved", object_type="change set")
    AuditEntry.objects.create(actor_name="ana", action="rejected", object_type="change set")
    page = admin_client.get(
        reverse("admin:personalization_auditentry_changelist"), {"action": "approved"}
    )
    assert page.context["cl"].result_count == 1
    assert [r["action"] for r in export(admin_client, "?action=approved")] == ["Approved"]


def test_audit_csv__formula_like_text__never_run_by_a_spreadsheet(admin_client, db):
    AuditEntry.objects.create(
        actor_name="=HYPERLINK(1)", action="changed", object_type="segment", message="@cmd"
    )
    [row] = export(admin_client)
    assert (row["who"], row["details"]) == ("'=HYPERLINK(1)", "'@cmd")
    assert csv_cell("-1") == "'-1" and csv_cell("plain") == "plain" and csv_cell(None) == ""


def test_audit__read_only_and_for_marketers(staff, db):
    entry = AuditEntry.objects.create(actor_name="ana", action="approved", object_type="x")
    marketer = staff(MARKETERS)
    assert marketer.get(reverse("admin:personalization_auditentry_changelist")).status_code == 200
    change = reverse("admin:personalization_auditentry_change", args=[entry.pk])
    marketer.post(change, {"actor_name": "bob"})
    entry.refresh_from_db()
    assert entry.actor_name == "ana"
    officer = staff(PRIVACY_OFFICERS)
    assert officer.get(reverse("admin:personalization_auditentry_export")).status_code == 403
