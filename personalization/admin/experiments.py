"""Experiments in one form: arms and coverage in percent, the rule it runs in, "Advanced" hashing.

The page warns wherever the experiment can never be served.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from consent.selectors import purpose_keys
from personalization.admin.base import DraftAdmin, LabelledInlineFormSet
from personalization.models import Experiment, ExperimentArm, Placement, Rule, Segment, Variant
from personalization.services import config_working
from personalization.workspace.serving import serving_warnings

FIRST, LAST = "first", "last"
# Weights are shown rounded to 0.01 %; a sum within this of 100 is 100.
PERCENT_TOLERANCE = 0.01


def percent_field(label: str, help_text: str) -> forms.FloatField:
    return forms.FloatField(
        label=label,
        min_value=0,
        max_value=100,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )


class ExperimentForm(forms.ModelForm[Experiment]):
    coverage_percent = percent_field(
        "Coverage %", "Share of the rule's visitors who take part; the others see the default."
    )
    audience = forms.ModelChoiceField(
        Segment.objects.all(),
        required=False,
        empty_label="Everyone",
        label="Who takes part",
        help_text="The segment of the rule the experiment runs in.",
    )
    position = forms.ChoiceField(
        choices=[(FIRST, "Before the placement's other rules"), (LAST, "After them")],
        initial=FIRST,
        label="Rule position",
        help_text="Where the rule goes when it is created for you.",
    )
    required_purpose = forms.ChoiceField(
        label="Needs consent for",
        required=False,
        help_text="Visitors are assigned only with this purpose granted.",
    )

    class Meta:
        model = Experiment
        fields = ["name", "key", "placement", "status", "seed", "hash_version"]
        labels = {"seed": "Assignment seed", "hash_version": "Assignment method"}
        help_texts = {
            "status": "Running: visitors are assigned. Paused or completed: the rule serves "
            "nobody and the placement's next rules apply.",
            "seed": "Visitors keep their arm while it stays the same; blank uses the key. "
            "Changing it reshuffles everyone.",
            "hash_version": "How visitors are hashed into arms (GrowthBook's). Keep v2.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["required_purpose"].choices = [  # type: ignore[attr-defined]
            ("", "Nothing (no consent needed)"),
            *((key, key) for key in purpose_keys() if key != "necessary"),
        ]
        experiment = self.instance
        self.initial.setdefault("coverage_percent", round(experiment.coverage * 100, 4))
        self.initial.setdefault("required_purpose", experiment.required_purpose)
        rule = experiment.rules.order_by("order").first() if experiment.pk else None
        if rule is not None:
            self.initial.setdefault("audience", rule.segment_id)
            del self.fields["position"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "coverage_percent" in data:
            self.instance.coverage = data["coverage_percent"] / 100
        self.instance.required_purpose = data.get("required_purpose") or ""
        return data


class ArmForm(forms.ModelForm[ExperimentArm]):
    weight_percent = percent_field("Weight %", "Share of the participants who get this arm.")

    class Meta:
        model = ExperimentArm
        fields = ["variant", "weight_percent", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial.setdefault("weight_percent", round(self.instance.weight * 100, 4))
        variants = Variant.objects.select_related("placement").order_by("placement__key", "key")
        self.fields["variant"].queryset = variants  # type: ignore[attr-defined]
        self.fields["variant"].label_from_instance = (  # type: ignore[attr-defined]
            lambda variant: f"{variant.placement.key}: {variant.key}"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("weight_percent") is not None:
            self.instance.weight = data["weight_percent"] / 100
        return data


class ArmFormSet(LabelledInlineFormSet):
    row_noun = "arm"

    def clean(self) -> None:
        super().clean()
        weights = [
            form.cleaned_data.get("weight_percent") or 0
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not weights:
            raise forms.ValidationError("Add at least one arm.")
        total = sum(weights)
        if abs(total - 100) > PERCENT_TOLERANCE:
            raise forms.ValidationError(
                f"The weights add up to {total:g} %; they must add up to 100 %."
            )


class ExperimentArmInline(admin.TabularInline[ExperimentArm, Experiment]):
    model = ExperimentArm
    form = ArmForm
    formset = ArmFormSet
    extra = 0
    min_num = 2
    fields = ["variant", "weight_percent", "order"]
    verbose_name = "arm"


def rule_ensure(*, experiment: Experiment, audience: Segment | None, position: str) -> Rule:
    """The rule the experiment runs in: its first one, or one created at `position`."""
    rule = experiment.rules.order_by("order").first()
    if rule is not None:
        if rule.segment_id != (audience.pk if audience else None):
            rule.segment = audience
            rule.full_clean()
            rule.save()
        return rule
    placement: Placement = experiment.placement
    rules = list(placement.rules.order_by("order", "id"))
    if position == FIRST:
        # Renumber 20, 30, …: the new rule takes 10, before them all.
        for index, existing in enumerate(rules, start=2):
            if existing.order != index * 10:
                existing.order = index * 10
                existing.save(update_fields=["order"])
        order = 10
    else:
        order = (rules[-1].order if rules else 0) + 10
    rule = Rule(placement=placement, experiment=experiment, segment=audience, order=order)
    rule.full_clean()
    rule.save()
    return rule


@admin.register(Experiment)
class ExperimentAdmin(DraftAdmin):
    form = ExperimentForm
    list_display = ["name", "key", "placement", "status", "coverage_shown", "required_purpose"]
    list_filter = ["status"]
    search_fields = ["key", "name"]
    inlines = [ExperimentArmInline]
    change_form_template = "admin/personalization/experiment/change_form.html"

    class Media:
        css = {"all": ["personalization/admin/workspace.css"]}
        js = ["personalization/admin/experiment-form.js"]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        runs_in = ["placement", "audience", "coverage_percent"]
        if obj is None or not obj.rules.exists():
            runs_in.append("position")
        return [
            (None, {"fields": ["name", "key", "status"]}),
            ("Where it runs", {"fields": runs_in}),
            (
                "Advanced: consent and assignment",
                {"fields": ["required_purpose", "seed", "hash_version"], "classes": ["collapse"]},
            ),
        ]

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, Any]:
        return {} if obj else {"key": ["name"]}

    @admin.display(description="coverage", ordering="coverage")
    def coverage_shown(self, obj: Experiment) -> str:
        return f"{obj.coverage * 100:g} %"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        rule_ensure(
            experiment=form.instance,
            audience=form.cleaned_data.get("audience"),
            position=form.cleaned_data.get("position") or LAST,
        )
        super().save_related(request, form, formsets, change)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        experiment = self.get_object(request, object_id)
        warnings: list[str] = []
        if experiment is not None:
            found = serving_warnings(config_working())
            warnings = found.get(("experiments", experiment.key), []) + [
                warning
                for warning in found.get(("placements", experiment.placement.key), [])
                if f"experiment {experiment.key}" in warning
            ]
        extra = {"serving_warnings": warnings, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra)
