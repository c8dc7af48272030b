"""Admin of the preference registry; the sensitive-data firewall shows as form errors."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from consent.models import PreferenceKey, PreferenceOption
from consent.services import (
    preference_key_delete,
    preference_key_save,
    preference_option_delete,
    preference_option_save,
)


class PreferenceOptionInline(admin.TabularInline):
    model = PreferenceOption
    extra = 1
    fields = ["value", "label", "order"]


@admin.register(PreferenceKey)
class PreferenceKeyAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "multiple", "order"]
    inlines = [PreferenceOptionInline]

    def get_readonly_fields(
        self, request: HttpRequest, obj: PreferenceKey | None = None
    ) -> list[str]:
        # Segments and stored choices refer to a preference by its key.
        return ["key"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: PreferenceKey, form: Any, change: bool) -> None:
        preference_key_save(preference=obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for option in formset.save(commit=False):
            preference_option_save(option=option)
        for option in formset.deleted_objects:
            preference_option_delete(option=option)

    def delete_model(self, request: HttpRequest, obj: PreferenceKey) -> None:
        preference_key_delete(preference=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PreferenceKey]) -> None:
        for preference in queryset:
            preference_key_delete(preference=preference)
