"""Goals, the daily aggregates of cohorts and goals (no subject id), and staff report keys."""

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.text import slugify

from personalization.models import EventType
from personalization.outcomes.cohorts import Cohort as CohortKey
from personalization.outcomes.cohorts import Kind
from personalization.signals.taxonomy import SLUG


class Goal(models.Model):
    """A conversion marketers want more (or less) of: events of one type, maybe filtered."""

    class Metric(models.TextChoices):
        BINARY = "binary", "Conversion rate (did the visitor do it?)"
        VALUE = "value", "Value per visitor (how much, e.g. revenue)"

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    event_type = models.ForeignKey(
        EventType,
        on_delete=models.PROTECT,
        related_name="goals",
        help_text="Events of this type are the goal's conversions.",
    )
    filter_property = models.CharField(
        max_length=64,
        blank=True,
        help_text="Optional: count only events whose property (one of the event type's) …",
    )
    filter_value = models.CharField(
        max_length=64, blank=True, help_text="… has this value (compared as a lower-case slug)."
    )
    metric = models.CharField(max_length=16, choices=Metric.choices, default=Metric.BINARY)
    value_property = models.CharField(
        max_length=64,
        blank=True,
        help_text="For a value goal: the numeric property of the event type (one of its "
        "measures) whose values add up per visitor, e.g. revenue.",
    )
    higher_is_better = models.BooleanField(
        default=True, help_text="Off when less is better (e.g. returns, errors)."
    )
    guardrail = models.BooleanField(
        default=False,
        help_text="A metric that must not get worse: results warn when an arm significantly "
        "harms it.",
    )
    minimum_effect = models.FloatField(
        default=10.0,
        validators=[MinValueValidator(0.1), MaxValueValidator(1000.0)],
        help_text="The smallest relative change worth detecting, in percent: it sets how many "
        "visitors an experiment needs.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["guardrail", "key"]

    def __str__(self) -> str:
        return self.key

    @property
    def binary(self) -> bool:
        return self.metric == self.Metric.BINARY

    def clean(self) -> None:
        errors: dict[str, str] = {}
        try:
            event_type = self.event_type
        except ObjectDoesNotExist:
            return
        properties = event_type.properties if isinstance(event_type.properties, list) else []
        measures = event_type.measures if isinstance(event_type.measures, list) else []
        if bool(self.filter_property) != bool(self.filter_value):
            errors["filter_value"] = "Give both a property and its value, or neither."
        elif self.filter_property:
            if self.filter_property not in properties:
                errors["filter_property"] = (
                    f"{event_type.key} has no property {self.filter_property!r} "
                    f"(it has: {', '.join(properties) or 'none'})."
                )
            value = slugify(self.filter_value)
            if not SLUG.fullmatch(value):
                errors["filter_value"] = "Use letters, digits, - and _ (at most 64)."
            else:
                self.filter_value = value
        if self.metric == self.Metric.VALUE and self.value_property not in measures:
            errors["value_property"] = (
                f"A value goal needs one of {event_type.key}'s measures "
                f"({', '.join(measures) or 'it has none: add one to the event type'})."
            )
        if self.metric == self.Metric.BINARY and self.value_property:
            errors["value_property"] = "A conversion-rate goal counts visitors, not values."
        if errors:
            raise ValidationError(errors)


class Cohort(models.Model):
    """A group of visitors served the same thing (an arm, a rule, a placement; or held out)."""

    kind = models.CharField(max_length=16, choices=[(k.value, k.name.title()) for k in Kind])
    placement = models.CharField(max_length=64)
    experiment = models.CharField(max_length=64, blank=True)
    segment = models.CharField(max_length=64, blank=True)
    variant = models.CharField(max_length=64, blank=True)
    holdout = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "placement", "experiment", "segment", "variant", "holdout"],
                name="cohort_unique",
            )
        ]

    def __str__(self) -> str:
        return self.as_key().key

    def as_key(self) -> CohortKey:
        return CohortKey(
            Kind(self.kind),
            self.placement,
            self.experiment,
            self.segment,
            self.variant,
            self.holdout,
        )


class CohortDay(models.Model):
    """Visitors who entered a cohort on a day (UTC), first exposed at a revision; each counts
    once per attribution window."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    revision = models.PositiveIntegerField()
    visitors = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cohort", "day", "revision"], name="cohort_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cohort_id}@{self.day}/r{self.revision}"


class GoalDay(models.Model):
    """A cohort's conversions of a goal on a day (UTC), by the revision its visitors were first
    exposed at: converting visitors, and the sum and sum of squares of the per-visitor values
    (so means and variances add up over days)."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="goal_days")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    revision = models.PositiveIntegerField()
    converters = models.PositiveBigIntegerField(default=0)
    total = models.FloatField(default=0.0)
    squares = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "goal", "day", "revision"], name="goal_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cohort_id}:{self.goal_id}@{self.day}/r{self.revision}"


REPORT_KEY_PREFIX = "tfr_"


def report_key_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ReportApiKey(models.Model):
    """A staff credential for the reports API; only its SHA-256 is kept (shown once)."""

    name = models.CharField(max_length=120, help_text="Who or what uses it, e.g. 'BI export'.")
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The key itself, on the instance `report_key_create` just saved only: never stored.
    raw_key: str | None = None

    class Meta:
        verbose_name = "report API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate() -> str:
        return f"{REPORT_KEY_PREFIX}{secrets.token_urlsafe(32)}"
