"""Placements with their variants and rules; the Preview of every decision for a sample visitor.

Values are typed the way a marketer thinks of them (text without quotes, a number, on/off, or
fields of a JSON Schema), and a rule may use a variant created in the same save.
"""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from personalization import services
from personalization.admin.base import DraftAdmin, LabelledInlineFormSet
from personalization.dashboard import dashboard_view
from personalization.forms import PreviewForm
from personalization.models import Experiment, Placement, Rule, Variant
from personalization.services import config_working
from personalization.serving import Decisions, decisions_preview
from personalization.snapshot import snapshot_current
from personalization.workspace.serving import serving_warnings
from personalization.workspace.values import preview_render, value_from_text, value_to_text

MAX_RENDER_BYTES = 32 * 1024


class ValueWidget(forms.Textarea):
    """The value as text; the value editor (JavaScript) turns it into a typed form."""

    class Media:
        css = {"all": ["personalization/admin/workspace.css"]}
        js = ["personalization/admin/dom.js", "personalization/admin/value-editor.js"]

    def __init__(self) -> None:
        attrs = {"rows": 3, "cols": 60, "data-value-editor": "", "spellcheck": "false"}
        super().__init__(attrs=attrs)


class TypedValueField(forms.CharField):
    """Text that becomes a value of the placement's type when the form knows the type."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=ValueWidget(), strip=False, **kwargs)


def typed(form: forms.BaseForm, field: str, value_type: str | None) -> Any:
    """The field's text as a value of `value_type` (an error at the field when it isn't one)."""
    text = form.cleaned_data.get(field)
    if text is None or not value_type:
        return None
    try:
        return value_from_text(value_type, text)
    except ValueError as error:
        form.add_error(field, str(error))
        return None


class PlacementForm(forms.ModelForm[Placement]):
    default_value = TypedValueField(
        label="Default value",
        help_text="Served whenever no rule applies. Text needs no quotes.",
    )

    class Meta:
        model = Placement
        fields = [
            "name",
            "key",
            "description",
            "value_type",
            "default_value",
            "enabled",
            "holdout_percentage",
            "client_evaluable",
            "value_schema",
            "preview_template",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Also when bound, so that an unchanged value does not count as a change.
        if self.instance.pk:
            self.initial["default_value"] = value_to_text(
                self.instance.value_type, self.instance.default_value
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = typed(self, "default_value", data.get("value_type"))
        if "default_value" in data:
            data["default_value"] = value
        return data


class VariantForm(forms.ModelForm[Variant]):
    value = TypedValueField(help_text="What this variant serves.")

    class Meta:
        model = Variant
        fields = ["key", "description", "value"]

    def __init__(self, *args: Any, placement: Placement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.placement = placement
        if self.instance.pk:
            self.initial["value"] = value_to_text(placement.value_type, self.instance.value)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "value" in data:
            data["value"] = typed(self, "value", self.placement.value_type)
        return data


class VariantFormSet(LabelledInlineFormSet):
    row_noun = "variant"

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "placement": self.instance}


class VariantInline(admin.StackedInline[Variant, Placement]):
    model = Variant
    form = VariantForm
    formset = VariantFormSet
    extra = 1
    fields = ["key", "value", "description"]


def posted_variant_keys(data: Any, prefix: str = "variants") -> list[str]:
    """The variant keys a placement will have once saved, read from the variants formset's POST
    (its own validation refuses bad keys): rules may name variants added in the same save."""
    try:
        total = int(data.get(f"{prefix}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        return []
    keys = []
    for index in range(min(total, 1000)):
        key = str(data.get(f"{prefix}-{index}-key", "")).strip()
        if key and not data.get(f"{prefix}-{index}-DELETE"):
            keys.append(key)
    return keys


class RuleForm(forms.ModelForm[Rule]):
    variant_key = forms.CharField(
        label="Variant",
        required=False,
        widget=forms.Select(attrs={"data-variant-select": ""}),
        help_text="Or an experiment, not both.",
    )

    class Meta:
        model = Rule
        fields = ["order", "segment", "variant_key", "experiment", "rollout_percentage"]
        labels = {"rollout_percentage": "Rollout %"}

    def __init__(
        self, *args: Any, placement: Placement, variant_keys: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.placement = placement
        self.variant_keys = variant_keys
        variant = self.instance.variant if self.instance.variant_id else None
        if variant is not None:
            self.initial["variant_key"] = variant.key
        choices = [("", "—"), *((key, key) for key in variant_keys)]
        self.fields["variant_key"].widget.choices = choices
        # Also when bound: an untouched extra row then counts as unchanged, and is skipped.
        if not self.instance.pk and placement.pk:
            last = placement.rules.order_by("-order").values_list("order", flat=True).first()
            self.initial["order"] = (last or 0) + 10
        experiments = Experiment.objects.filter(placement=placement.pk)
        self.fields["experiment"].queryset = experiments  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("variant_key")
        if not key:
            self.instance.variant = None
        elif key not in self.variant_keys:
            self.add_error("variant_key", f'This placement has no variant "{key}".')
        else:
            saved = self.placement.variants.filter(key=key).first() if self.placement.pk else None
            # A variant added (or renamed) in this same save: resolved once it is saved.
            self.instance.variant = saved or Variant(placement=self.placement, key=key)
        return data


class RuleFormSet(LabelledInlineFormSet):
    row_noun = "rule"

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        if self.is_bound:
            keys = posted_variant_keys(self.data)
        else:
            saved = Variant.objects.filter(placement=self.instance.pk)
            keys = list(saved.values_list("key", flat=True))
        return {**super().get_form_kwargs(index), "placement": self.instance, "variant_keys": keys}


class RuleInline(admin.TabularInline[Rule, Placement]):
    model = Rule
    form = RuleForm
    formset = RuleFormSet
    extra = 1
    fields = ["order", "segment", "variant_key", "experiment", "rollout_percentage"]


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
class PlacementAdmin(DraftAdmin):
    form = PlacementForm
    list_display = ["key", "name", "value_type", "default_value", "enabled"]
    actions = ["switch_off", "switch_on"]
    list_filter = ["value_type", "enabled"]
    search_fields = ["key", "name"]
    inlines = [VariantInline, RuleInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "key",
                    "description",
                    "value_type",
                    "default_value",
                    "enabled",
                    "holdout_percentage",
                    "client_evaluable",
                ]
            },
        ),
        (
            "For developers: value schema and storefront preview",
            {"fields": ["value_schema", "preview_template"], "classes": ["collapse"]},
        ),
    ]
    change_form_template = "admin/personalization/placement/change_form.html"

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return {} if obj else {"key": ["name"]}

    def has_kill_switch_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("personalization.change_placement") and request.user.has_perm(
            "personalization.publish_changeset"
        )

    def _switch(self, request: HttpRequest, queryset: QuerySet[Placement], enabled: bool) -> None:
        for placement in queryset:
            services.placement_set_enabled(
                placement=placement,
                enabled=enabled,
                author=request.user,  # type: ignore[arg-type]
            )
        state = "on" if enabled else "off (everyone gets the default)"
        names = ", ".join(p.key for p in queryset)
        self.message_user(request, f"Switched {state}, live now: {names}.", messages.SUCCESS)

    @admin.action(description="Kill switch: switch off now", permissions=["kill_switch"])
    def switch_off(self, request: HttpRequest, queryset: QuerySet[Placement]) -> None:
        self._switch(request, queryset, False)

    @admin.action(description="Switch on now", permissions=["kill_switch"])
    def switch_on(self, request: HttpRequest, queryset: QuerySet[Placement]) -> None:
        self._switch(request, queryset, True)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if not isinstance(formset, RuleFormSet):
            return super().save_formset(request, form, formset, change)
        placement = form.instance
        rules = formset.save(commit=False)
        for rule in rules:
            if rule.variant is not None and rule.variant.pk is None:
                rule.variant = placement.variants.get(key=rule.variant.key)
            rule.placement = placement
            rule.save()
        for rule in formset.deleted_objects:
            rule.delete()
        formset.save_m2m()
        return None

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        placement = self.get_object(request, object_id)
        warnings = []
        if placement is not None:
            warnings = serving_warnings(config_working()).get(("placements", placement.key), [])
        extra = {"serving_warnings": warnings, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        def route(suffix: str, view: Any, name: str) -> URLPattern:
            return path(suffix, self.admin_site.admin_view(view), name=name)

        return [
            route("preview/", self.preview_view, "personalization_preview"),
            route("dashboard/", dashboard_view, "personalization_dashboard"),
            route("render/", self.render_view, "personalization_placement_render"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {
            "preview_url": reverse("admin:personalization_preview"),
            "dashboard_url": reverse("admin:personalization_dashboard"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def render_view(self, request: HttpRequest) -> HttpResponse:
        """POST {template, value_type, text} → the storefront preview of one value (HTML)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return JsonResponse({"error": "POST a JSON object."}, status=405)
        if len(request.body) > MAX_RENDER_BYTES:
            return JsonResponse({"error": "The value is too large."}, status=413)
        try:
            body = json.loads(request.body)
            value = value_from_text(str(body["value_type"]), str(body["text"]))
            template = str(body["template"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            message = str(error) or "Send {template, value_type, text}."
            return JsonResponse({"error": message}, status=400)
        return JsonResponse({"html": preview_render(template, value)})

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
