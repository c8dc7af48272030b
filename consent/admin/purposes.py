"""Admin of the purpose registry."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from consent.models import Purpose
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
