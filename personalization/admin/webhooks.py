"""Publish webhooks and their delivery log (status, attempts, answers), with a retry action."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from personalization.admin.base import ReadOnlyAdmin
from personalization.models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin[Webhook]):
    list_display = ["name", "url", "active", "last_delivery"]
    list_filter = ["active"]
    search_fields = ["name", "url"]

    @admin.display(description="last delivery")
    def last_delivery(self, obj: Webhook) -> str:
        delivery = obj.deliveries.order_by("-created_at", "-id").first()
        if delivery is None:
            return "—"
        return f"r{delivery.revision_number}: {delivery.get_status_display().lower()}"


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "webhook",
        "revision_number",
        "status",
        "attempts",
        "response_status",
        "next_attempt_at",
        "error",
    ]
    list_filter = ["status", "webhook"]
    list_select_related = ["webhook"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("personalization.change_webhook")

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = queryset.exclude(status=WebhookDelivery.Status.DELIVERED).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
        )
        self.message_user(
            request,
            f"{count} deliveries will be sent at the next run of the periodic work.",
            messages.SUCCESS,
        )
