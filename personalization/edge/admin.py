"""Admin of edge keys: create one (shown once, never stored), revoke it at once."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from personalization.edge.models import EdgeKey
from personalization.edge.services import edge_key_create, edge_key_revoke


@admin.register(EdgeKey)
class EdgeKeyAdmin(admin.ModelAdmin[EdgeKey]):
    list_display = ["name", "prefix", "created_at", "created_by", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at"]
    fields = ["name", *readonly_fields]
    actions = ["revoke"]

    def has_delete_permission(self, request: HttpRequest, obj: EdgeKey | None = None) -> bool:
        # Revoked, not deleted: the list keeps who had access and until when.
        return False

    def save_model(self, request: HttpRequest, obj: EdgeKey, form: ModelForm[Any], change: bool) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        created, key = edge_key_create(name=obj.name, created_by=request.user)  # type: ignore[arg-type]
        obj.pk, obj.prefix = created.pk, created.prefix
        messages.warning(
            request,
            f"The key of {obj.name} is {key} — copy it now into the edge's EDGE_KEY: it is stored "
            "only as a digest and cannot be shown again.",
        )

    @admin.action(description="Revoke the selected edge keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[EdgeKey]) -> None:
        for edge_key in queryset.filter(revoked_at__isnull=True):
            edge_key_revoke(edge_key=edge_key)
        self.message_user(request, "Revoked: edges holding these keys are refused from now on.")
