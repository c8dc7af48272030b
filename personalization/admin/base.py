"""What every configuration admin shares: saves are drafts, audited; labelled inline inputs."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.db.models import Model
from django.forms import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from personalization.models import AuditEntry
from personalization.services import audit_record, entries_of
from personalization.workspace.selectors import drafts_entries

DRAFT_NOTE = (
    "Saved as a draft: visitors see it once it is published. {link} to review and publish it."
)


class DraftAdmin(admin.ModelAdmin[Any]):
    """Saves and deletes change the working copy (drafts); each is logged in the audit log.
    Publishing happens in Changes to publish."""

    def _audit(self, request: HttpRequest, obj: Model, action: str, message: str) -> None:
        entries = entries_of(obj)
        key = next(iter(entries))[1] if entries else str(obj)
        audit_record(
            action=action,
            actor=request.user,  # type: ignore[arg-type]
            object_type=str(self.opts.verbose_name),
            object_key=key,
            message=message,
        )

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> LogEntry:
        entry = super().log_addition(request, obj, message)
        self._audit(request, obj, AuditEntry.Action.ADDED, entry.get_change_message())
        return entry

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> LogEntry:
        entry = super().log_change(request, obj, message)
        self._audit(request, obj, AuditEntry.Action.CHANGED, entry.get_change_message())
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, AuditEntry.Action.DELETED, f"Deleted {obj}")
        return super().log_deletions(request, queryset)

    def _draft_note(self, request: HttpRequest) -> None:
        link = format_html(
            '<a href="{}">Open Changes to publish</a>', reverse("admin:personalization_drafts")
        )
        self.message_user(request, format_html(DRAFT_NOTE, link=link), messages.INFO)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: Any = None
    ) -> HttpResponse:
        self._draft_note(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        self._draft_note(request)
        return super().response_change(request, obj)

    def get_list_display(self, request: HttpRequest) -> Any:
        drafts = set(drafts_entries())

        @admin.display(description="published?")
        def publication(obj: Model) -> str:
            entries = entries_of(obj)
            if not entries & drafts:
                return "live"
            return "draft, not published"

        return [*super().get_list_display(request), publication]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            "drafts_url": reverse("admin:personalization_drafts"),
            "drafts_count": len(drafts_entries()),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """A record nobody edits in the admin: history, change sets, the audit log, deliveries."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LabelledInlineFormSet(BaseInlineFormSet[Any, Any, Any]):
    """A tabular inline's inputs have only a column header; give each an accessible name."""

    row_noun = "row"

    def add_fields(self, form: Any, index: Any) -> None:
        super().add_fields(form, index)
        where = f"new {self.row_noun}" if index is None else f"{self.row_noun} {index + 1}"
        for name, field in form.fields.items():
            label = "Delete" if name == "DELETE" else (field.label or name.replace("_", " "))
            # The admin wraps related fields' widgets (add/change links): label the select.
            widget = getattr(field.widget, "widget", field.widget)
            widget.attrs.setdefault("aria-label", f"{str(label).capitalize()}, {where}")
