"""The marketer's admin: segments, placements with rules, experiments, revisions, Preview."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from personalization import services
from personalization.dashboard import dashboard_view
from personalization.engine import condition_manifest
from personalization.forms import PreviewForm
from personalization.models import (
    EventType,
    Experiment,
    ExperimentArm,
    Placement,
    Revision,
    Rule,
    Segment,
    Variant,
)
from personalization.outcomes import admin as outcomes_admin  # noqa: F401  (goals, Results)
from personalization.serving import decisions_preview


class PublishingAdmin(admin.ModelAdmin[Any]):
    """Every save or delete in the admin is published as a new revision by the services."""

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        verb = "Changed" if change else "Added"
        services.revision_publish(
            author=request.user,  # type: ignore[arg-type]
            message=f"{verb} {self.opts.verbose_name} {form.instance}",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.config_delete(instance=obj, author=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        names = ", ".join(str(obj) for obj in queryset)
        author = request.user
        with services.config_batch(author=author, message=f"Deleted {names}"):  # type: ignore[arg-type]
            for obj in queryset:
                services.config_delete(instance=obj, author=author)  # type: ignore[arg-type]


@admin.register(Segment)
class SegmentAdmin(PublishingAdmin):
    list_display = ["key", "name", "needs_purposes", "updated_at"]
    search_fields = ["key", "name", "description"]
    prepopulated_fields = {"key": ["name"]}
    readonly_fields = ["needs_purposes"]

    @admin.display(description="needs purposes")
    def needs_purposes(self, obj: Segment) -> str:
        if not isinstance(obj.condition, dict):
            return "—"
        _, purposes = condition_manifest(obj.condition)
        return ", ".join(sorted(purposes)) or "none (context only)"


class VariantInline(admin.TabularInline[Variant, Placement]):
    model = Variant
    extra = 1


class RuleInlineFormSet(BaseInlineFormSet[Rule, Placement, Any]):
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
    autocomplete_fields = ["segment"]


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
        }
        return TemplateResponse(request, "admin/personalization/preview.html", context)


class ExperimentArmInline(admin.TabularInline[ExperimentArm, Experiment]):
    model = ExperimentArm
    extra = 2
    fields = ["order", "variant", "weight"]


@admin.register(Experiment)
class ExperimentAdmin(PublishingAdmin):
    list_display = ["key", "name", "placement", "status", "coverage", "required_purpose"]
    list_filter = ["status"]
    search_fields = ["key", "name"]
    inlines = [ExperimentArmInline]


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


@admin.register(EventType)
class EventTypeAdmin(admin.ModelAdmin[EventType]):
    list_display = ["key", "description", "properties"]
    search_fields = ["key"]
