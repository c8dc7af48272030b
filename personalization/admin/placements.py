"""Placements with their variants and rules; the Preview of every decision for a sample visitor."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from personalization.admin.base import LabelledInlineFormSet, PublishingAdmin
from personalization.dashboard import dashboard_view
from personalization.forms import PreviewForm
from personalization.models import Experiment, Placement, Rule, Variant
from personalization.serving import Decisions, decisions_preview
from personalization.snapshot import snapshot_current


class VariantInline(admin.TabularInline[Variant, Placement]):
    model = Variant
    formset = LabelledInlineFormSet
    extra = 1


class RuleInlineFormSet(LabelledInlineFormSet):
    row_noun = "rule"

    def add_fields(self, form: Any, index: Any) -> None:
        super().add_fields(form, index)
        # Only this placement's variants and experiments make sense in its rules.
        for name, model in (("variant", Variant), ("experiment", Experiment)):
            if name in form.fields:
                form.fields[name].queryset = model.objects.filter(placement=self.instance.pk)


class RuleInline(admin.TabularInline[Rule, Placement]):
    model = Rule
    formset = RuleInlineFormSet
    extra = 1
    fields = ["order", "segment", "variant", "experiment", "rollout_percentage"]


def preview_rows(result: Decisions) -> list[dict[str, Any]]:
    """The Preview's table: each decision, its rule named by the order marketers gave it (the
    engine explains by position, 1, 2, …; rules are numbered 10, 20, … in the admin)."""
    placements = snapshot_current().placements
    rows = []
    for key, decision in result.decisions.items():
        orders = [rule.order for rule in placements[key].rules] if key in placements else []

        def order(position: int | None, orders: list[int] = orders) -> int | None:
            if position is None or not 0 < position <= len(orders):
                return position
            return orders[position - 1]

        rows.append(
            {
                "key": key,
                "decision": decision,
                "rule": order(decision.explanation.get("rule")),
                "skipped": [
                    {**skipped, "rule": order(skipped.get("rule"))}
                    for skipped in decision.explanation.get("skipped", [])
                ],
            }
        )
    return rows


@admin.register(Placement)
class PlacementAdmin(PublishingAdmin):
    list_display = ["key", "name", "value_type", "default_value", "enabled"]
    list_editable = ["enabled"]
    list_filter = ["value_type", "enabled"]
    search_fields = ["key", "name"]
    inlines = [VariantInline, RuleInline]

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="personalization_preview",
        )
        dashboard = path(
            "dashboard/",
            self.admin_site.admin_view(dashboard_view),
            name="personalization_dashboard",
        )
        return [preview, dashboard, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            "preview_url": reverse("admin:personalization_preview"),
            "dashboard_url": reverse("admin:personalization_dashboard"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Decide every placement for a sample visitor; needs permission to view placements."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PreviewForm(request.POST or None)
        result = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            result = decisions_preview(
                subject_id=data["subject_id"] or None,
                granted=["necessary", *data["purposes"]],
                attributes={
                    "context": data["context"],
                    "prefs": data["prefs"],
                    "signals": data["signals"],
                },
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Preview decisions for a sample visitor",
            "form": form,
            "result": result,
            "rows": preview_rows(result) if result else [],
        }
        return TemplateResponse(request, "admin/personalization/preview.html", context)
