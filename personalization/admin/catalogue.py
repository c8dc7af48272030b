"""The attribute catalogue's own registries: context attributes and event types."""

from django.contrib import admin

from personalization.models import ContextKey, EventType


@admin.register(ContextKey)
class ContextKeyAdmin(admin.ModelAdmin[ContextKey]):
    list_display = ["label", "path", "type", "example"]
    search_fields = ["key", "label", "description"]
    list_filter = ["type"]

    @admin.display(description="attribute", ordering="key")
    def path(self, obj: ContextKey) -> str:
        return str(obj)


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin[EventType]):
    list_display = ["key", "description", "properties"]
    search_fields = ["key"]
