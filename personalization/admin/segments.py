"""Segments: the condition builder over the attribute catalogue, checked live as one types."""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse

from personalization.admin.base import DraftAdmin
from personalization.engine import evaluate_condition
from personalization.models import Segment
from personalization.workspace.catalogue import Catalogue, attribute_catalogue
from personalization.workspace.conditions import (
    OPERATORS,
    catalogue_check,
    condition_pairs,
    condition_problems,
    condition_purposes,
    describe_condition,
)

MAX_CHECK_BYTES = 32 * 1024


class ConditionWidget(forms.Textarea):
    """The raw JSON textarea, which the segment builder (JavaScript) edits when it can run."""

    template_name = "personalization/widgets/condition.html"

    class Media:
        css = {"all": ["personalization/admin/workspace.css"]}
        js = ["personalization/admin/dom.js", "personalization/admin/segment-builder.js"]

    def __init__(self, *, catalogue: list[dict[str, Any]], check_url: str) -> None:
        super().__init__(attrs={"rows": 8, "cols": 80, "spellcheck": "false"})
        self.catalogue = catalogue
        self.check_url = check_url

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["builder"] = {
            "data": {
                "catalogue": self.catalogue,
                "operators": [operator.as_dict() for operator in OPERATORS],
            },
            "data_id": f"{context['widget']['attrs'].get('id', name)}-builder-data",
            "check_url": self.check_url,
        }
        return context


class ConditionField(forms.JSONField):
    """A condition: a JSON object; left empty, everyone."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return {}
        return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value if value is not None else {}, indent=2, ensure_ascii=False)


class SegmentForm(forms.ModelForm[Segment]):
    condition = ConditionField(
        required=False,
        help_text="Build it row by row, or edit the JSON. Empty means everyone.",
    )

    class Meta:
        model = Segment
        fields = ["name", "key", "description", "condition", "allow_free_form"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = attribute_catalogue()
        self.warnings: list[str] = []
        self.fields["condition"].widget = ConditionWidget(
            catalogue=self.catalogue.as_list(),
            check_url=reverse("admin:personalization_segment_check"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        condition = data.get("condition")
        if isinstance(condition, dict) and not condition_problems(condition):
            check = catalogue_check(
                condition, self.catalogue, allow_free_form=bool(data.get("allow_free_form"))
            )
            for problems in check.problems.values():
                for problem in problems:
                    self.add_error("condition", problem)
            self.warnings = check.warnings
        return data


def condition_report(
    condition: Any, catalogue: Catalogue, *, allow_free_form: bool, sample: Any
) -> dict[str, Any]:
    """What the builder shows as one types: problems by row, purposes, meaning, sample match."""
    problems = condition_problems(condition)
    by_path: dict[str, list[str]] = {}
    for attribute, value in condition_pairs(condition):
        if row := condition_problems({attribute: value}):
            by_path.setdefault(attribute, []).extend(row)
    check = catalogue_check(condition, catalogue, allow_free_form=allow_free_form)
    for attribute, found in check.problems.items():
        by_path.setdefault(attribute, []).extend(found)
    valid = not problems and not by_path
    match = None
    if valid and isinstance(sample, dict):
        match = evaluate_condition(condition, sample)
    return {
        "valid": valid,
        # Problems no single row explains (the structure of the condition itself).
        "problems": [] if by_path else problems,
        "rows": by_path,
        "warnings": check.warnings,
        "purposes": condition_purposes(condition),
        "description": describe_condition(condition, catalogue) if valid else "",
        "match": match,
    }


@admin.register(Segment)
class SegmentAdmin(DraftAdmin):
    form = SegmentForm
    list_display = ["name", "key", "needs_purposes", "updated_at"]
    search_fields = ["key", "name", "description"]
    prepopulated_fields = {"key": ["name"]}
    readonly_fields = ["needs_purposes"]
    fieldsets = [
        (None, {"fields": ["name", "key", "description"]}),
        ("Who is in it", {"fields": ["condition", "allow_free_form", "needs_purposes"]}),
    ]

    @admin.display(description="needs purposes")
    def needs_purposes(self, obj: Segment) -> str:
        purposes = condition_purposes(obj.condition)
        return ", ".join(purposes) or "none (context only)"

    def get_list_display(self, request: HttpRequest) -> Any:
        catalogue = attribute_catalogue()

        @admin.display(description="who")
        def meaning(obj: Segment) -> str:
            return describe_condition(obj.condition, catalogue)

        name, key, *rest = super().get_list_display(request)
        return [name, key, meaning, *rest]

    def save_model(self, request: HttpRequest, obj: Segment, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        for warning in getattr(form, "warnings", []):
            self.message_user(request, warning, messages.WARNING)

    def get_urls(self) -> list[URLPattern]:
        check = path(
            "check/",
            self.admin_site.admin_view(self.check_view),
            name="personalization_segment_check",
        )
        return [check, *super().get_urls()]

    def check_view(self, request: HttpRequest) -> HttpResponse:
        """POST {condition, allow_free_form, sample} → the builder's live report (JSON)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return JsonResponse({"error": "POST a JSON object."}, status=405)
        if len(request.body) > MAX_CHECK_BYTES:
            return JsonResponse({"error": "The condition is too large."}, status=413)
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"error": "The body is not JSON."}, status=400)
        if not isinstance(body, dict) or "condition" not in body:
            return JsonResponse({"error": 'Send {"condition": {…}}.'}, status=400)
        report = condition_report(
            body["condition"],
            attribute_catalogue(),
            allow_free_form=bool(body.get("allow_free_form")),
            sample=body.get("sample"),
        )
        return JsonResponse(report)
