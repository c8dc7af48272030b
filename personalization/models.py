"""What marketers configure (segments, placements, variants, rules, experiments) and revisions."""

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from personalization.engine import ValueType

RESERVED_VARIANT_KEYS = frozenset({"default"})


def _related(instance: models.Model, field: str) -> Any:
    """The related object of `field`, or None when it is not set yet."""
    try:
        return getattr(instance, field)
    except ObjectDoesNotExist:
        return None


class Segment(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    condition = models.JSONField(
        default=dict,
        blank=True,
        help_text='A GrowthBook-style condition, e.g. {"context.device": "mobile"}. '
        "Attributes start with context., prefs. or signals.; {} is everyone.",
    )
    allow_free_form = models.BooleanField(
        "allow free-form context attributes",
        default=False,
        help_text="Accept context attributes that are not declared (with a warning).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        from personalization.workspace.conditions import condition_problems

        if problems := condition_problems(self.condition):
            raise ValidationError({"condition": problems})


class Placement(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    value_type = models.CharField(
        max_length=16, choices=[(t.value, t.name.title()) for t in ValueType]
    )
    default_value = models.JSONField(help_text="Always valid; served whenever no rule applies.")
    enabled = models.BooleanField(
        default=True, help_text="Kill switch: when off, everyone gets the default (DISABLED)."
    )
    holdout_percentage = models.FloatField(
        "holdout %",
        default=0.0,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(50.0)],
        help_text="Share of measured visitors who always get the default, even when a rule "
        "matches, to measure what personalization is worth (e.g. 5). 0: no holdout.",
    )
    client_evaluable = models.BooleanField(
        default=False,
        help_text="Published to browsers in the client snapshot (GET /api/v1/snapshot/client), "
        "rules and segments included, so the SDK can decide it on the device. Only for "
        "placements whose rules reveal nothing you would not show every visitor.",
    )
    value_schema = models.JSONField(
        "value schema",
        null=True,
        blank=True,
        help_text="Optional JSON Schema every JSON value must satisfy; its fields become a form.",
    )
    preview_template = models.TextField(
        blank=True,
        help_text="Optional HTML showing a value as the storefront would, e.g. "
        "<h1>{{ value.headline }}</h1>; rendered in a sandbox next to each variant.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        if self.holdout_percentage is None:
            self.holdout_percentage = 0.0
        from personalization.workspace.values import (
            schema_problems,
            template_problems,
            value_problems,
        )

        errors: dict[str, list[str]] = {}
        if problems := template_problems(self.preview_template):
            errors["preview_template"] = problems
        if self.value_schema is not None and (problems := schema_problems(self.value_schema)):
            errors["value_schema"] = problems
        elif self.value_type and (problems := value_problems(self, self.default_value)):
            errors["default_value"] = [f"The default {problem}" for problem in problems]
        if errors:
            raise ValidationError(errors)


class Variant(models.Model):
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="variants")
    key = models.SlugField(max_length=64)
    value = models.JSONField()
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["placement", "key"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "key"], name="variant_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.placement_id and self.placement.key}:{self.key}"

    def clean(self) -> None:
        if self.key in RESERVED_VARIANT_KEYS:
            raise ValidationError({"key": f'"{self.key}" is reserved for the default value.'})
        from personalization.workspace.values import value_problems

        # The admin validates variants of a placement that is not saved yet: use the object.
        placement = _related(self, "placement")
        if placement is None or not placement.value_type:
            return
        if problems := value_problems(placement, self.value):
            kind = placement.value_type
            raise ValidationError(
                {"value": [f"A {kind} placement's variant {problem}" for problem in problems]}
            )


class Experiment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft"
        RUNNING = "running"
        PAUSED = "paused"
        COMPLETED = "completed"

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="experiments")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    coverage = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Share of eligible visitors included in the experiment (0 to 1).",
    )
    seed = models.CharField(
        max_length=64,
        blank=True,
        help_text="Hash seed; the key when blank. Changing it reshuffles.",
    )
    hash_version = models.PositiveSmallIntegerField(
        default=2, choices=[(1, "GrowthBook v1"), (2, "GrowthBook v2")]
    )
    required_purpose = models.CharField(
        max_length=64,
        default="measurement",
        blank=True,
        help_text="Consent purpose needed for assignment; blank for none.",
    )

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        from consent.selectors import purpose_keys

        if self.required_purpose and self.required_purpose not in purpose_keys():
            raise ValidationError({"required_purpose": "Unknown purpose."})


class ExperimentArm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="arms")
    weight = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["experiment", "order", "id"]

    def __str__(self) -> str:
        return f"{self.variant} ({self.weight:g})"

    def clean(self) -> None:
        experiment, variant = _related(self, "experiment"), _related(self, "variant")
        if experiment and variant and variant.placement_id != experiment.placement_id:
            raise ValidationError(
                {"variant": "The variant must belong to the experiment's placement."}
            )


class Rule(models.Model):
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="rules")
    order = models.PositiveIntegerField(default=0, help_text="Lower first; the first match wins.")
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rules",
        help_text="Empty means everyone.",
    )
    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, null=True, blank=True, related_name="rules"
    )
    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, null=True, blank=True, related_name="rules"
    )
    rollout_percentage = models.FloatField(
        default=100.0, validators=[MinValueValidator(0.0), MaxValueValidator(100.0)]
    )

    class Meta:
        ordering = ["placement", "order", "id"]

    def __str__(self) -> str:
        target = self.variant.key if self.variant_id and self.variant else self.experiment
        return f"{self.segment or 'everyone'} → {target}"

    def clean(self) -> None:
        # The admin may set a variant added in the same save, not saved yet: use the object.
        has_variant = bool(self.variant_id) or _related(self, "variant") is not None
        if has_variant == bool(self.experiment_id):
            raise ValidationError("Choose either a variant or an experiment.")
        errors: dict[str, Any] = {}
        placement = _related(self, "placement")
        variant, experiment = _related(self, "variant"), _related(self, "experiment")
        if variant is not None and (placement is None or variant.placement_id != placement.pk):
            errors["variant"] = "The variant belongs to another placement."
        if experiment is not None and (
            placement is None or experiment.placement_id != placement.pk
        ):
            errors["experiment"] = "The experiment belongs to another placement."
        if errors:
            raise ValidationError(errors)


class Revision(models.Model):
    number = models.PositiveIntegerField(unique=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    message = models.CharField(max_length=300, blank=True)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["-number"]
        get_latest_by = "number"

    def __str__(self) -> str:
        return f"r{self.number}"


class EventType(models.Model):
    key = models.SlugField(max_length=64, unique=True)
    description = models.CharField(max_length=200, blank=True)
    properties = models.JSONField(default=list, blank=True, help_text="Allowed property keys.")
    measures = models.JSONField(
        default=list,
        blank=True,
        help_text='Numeric property keys, e.g. ["revenue"]: values goals add up, never kept in '
        "signal windows.",
    )

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


# Goals, cohort aggregates and report keys, and the edge tier's credential, live in their own
# packages, in this app.
from personalization.edge.models import EdgeKey  # noqa: E402, F401
from personalization.outcomes.models import (  # noqa: E402, F401
    Cohort,
    CohortDay,
    Goal,
    GoalDay,
    ReportApiKey,
)

# The workspace's models live in their own package; importing them here registers them.
from personalization.workspace.models import (  # noqa: E402, F401
    AuditEntry,
    ChangeSet,
    ContextKey,
    Schedule,
    Webhook,
    WebhookDelivery,
)
