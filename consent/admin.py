"""Consent admin: an editable purpose registry, and read-only subjects and consent log."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from consent.models import ConsentEvent, ConsentState, Purpose, Subject
from consent.services import purpose_delete, purpose_save


@admin.register(Purpose)
class PurposeAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "always_on", "retention_days", "order"]
    list_editable = ["order"]
    ordering = ["order", "key"]

    def get_readonly_fields(self, request: HttpRequest, obj: Purpose | None = None) -> list[str]:
        # Clients, templates and past events refer to a purpose by its key.
        return ["key"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Purpose, form: Any, change: bool) -> None:
        purpose_save(purpose=obj)

    def delete_model(self, request: HttpRequest, obj: Purpose) -> None:
        purpose_delete(purpose=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Purpose]) -> None:
        for purpose in queryset:
            purpose_delete(purpose=purpose)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visible to whoever may view; nobody, superusers included, may add, change or delete."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConsentStateInline(admin.TabularInline):
    model = ConsentState
    readonly_fields = ("purpose", "granted", "source", "updated_at", "expires_at")
    fields = readonly_fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "created_at", "user", "gpc_at"]
    list_filter = ["created_at", "gpc_at"]
    search_fields = ["public_id"]
    inlines = [ConsentStateInline]


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subject", "kind", "purpose", "granted", "source", "control"]
    list_filter = ["kind", "source", "purpose", "granted", "created_at"]
    list_select_related = ["subject", "purpose"]
    search_fields = ["subject__public_id"]
    date_hierarchy = "created_at"
    # Counting a long append-only log on every page would be the slowest part of the page.
    show_full_result_count = False
