"""Revisions: the published history, and rolling back to an earlier one."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from personalization import services
from personalization.models import Revision


@admin.register(Revision)
class RevisionAdmin(admin.ModelAdmin[Revision]):
    list_display = ["number", "created_at", "author", "message"]
    readonly_fields = ["number", "created_at", "author", "message", "snapshot"]
    actions = ["rollback"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Revision | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Revision | None = None) -> bool:
        return False

    def has_rollback_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("personalization.change_placement")

    @admin.action(description="Roll back to the selected revision", permissions=["rollback"])
    def rollback(self, request: HttpRequest, queryset: QuerySet[Revision]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one revision.", messages.ERROR)
            return
        target = queryset.get()
        published = services.revision_rollback(revision=target, author=request.user)  # type: ignore[arg-type]
        self.message_user(
            request,
            f"Rolled back to r{target.number}: published as r{published.number}.",
            messages.SUCCESS,
        )
