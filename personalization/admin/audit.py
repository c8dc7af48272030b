"""The audit log: every change, review step, publication and rollback; filtered, exported (CSV)."""

import csv
from collections.abc import Iterator
from datetime import UTC
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from personalization.admin.base import ReadOnlyAdmin
from personalization.models import AuditEntry

CSV_COLUMNS = (
    ("at", "when (UTC)"),
    ("actor_name", "who"),
    ("action", "action"),
    ("object_type", "what"),
    ("object_key", "key"),
    ("change_set_id", "change set"),
    ("revision_number", "revision"),
    ("message", "details"),
)
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """csv.writer writes into this; each row is handed on as it is written."""

    def write(self, value: str) -> str:
        return value


def csv_rows(queryset: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([label for _, label in CSV_COLUMNS])
    for entry in queryset.iterator(chunk_size=500):
        row = []
        for field, _ in CSV_COLUMNS:
            value = getattr(entry, field)
            if field == "at":
                value = value.astimezone(UTC).isoformat(timespec="seconds")
            elif field == "action":
                value = entry.get_action_display()
            row.append(csv_cell(value))
        yield writer.writerow(row)


def csv_response(queryset: QuerySet[AuditEntry]) -> StreamingHttpResponse:
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(csv_rows(queryset), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tactful-audit-{stamp}.csv"'
    return response


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "action", "object_type", "object_key", "links", "message"]
    list_filter = ["action", "object_type", "actor_name"]
    search_fields = ["object_key", "message", "actor_name"]
    date_hierarchy = "at"
    list_select_related = ["change_set"]
    actions = ["export_csv"]

    @admin.display(description="change set, revision")
    def links(self, obj: AuditEntry) -> str:
        parts = []
        if obj.change_set_id:
            url = reverse("admin:personalization_changeset_review", args=[obj.change_set_id])
            parts.append(format_html('<a href="{}">#{}</a>', url, obj.change_set_id))
        if obj.revision_number:
            parts.append(format_html("r{}", obj.revision_number))
        return format_html(", ".join(["{}"] * len(parts)), *parts) if parts else "—"

    @admin.action(description="Export the selected entries as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[AuditEntry]) -> HttpResponseBase:
        return csv_response(queryset.order_by("at", "id"))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.export_view)
        return [
            path("export/", view, name="personalization_auditentry_export"),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest) -> HttpResponseBase:
        """The list as filtered and searched on the page (same query string), as CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return csv_response(changelist.get_queryset(request).order_by("at", "id"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        query = request.GET.urlencode()
        export = reverse("admin:personalization_auditentry_export") + (f"?{query}" if query else "")
        return super().changelist_view(request, {"export_url": export, **(extra_context or {})})
