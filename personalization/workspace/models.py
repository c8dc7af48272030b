"""Models of the marketer's workspace (imported by `personalization.models`)."""

from django.core.exceptions import ValidationError
from django.db import models


class ContextKey(models.Model):
    """A `context.*` attribute the frontend sends, declared so segments can offer it by name."""

    class Type(models.TextChoices):
        STRING = "string", "Text"
        NUMBER = "number", "Number"
        BOOLEAN = "boolean", "Yes / no"
        LIST = "list", "List of texts"

    key = models.SlugField(
        max_length=64,
        unique=True,
        help_text="Segments read it as context.<key>, e.g. device or utm_campaign.",
    )
    label = models.CharField(max_length=100, help_text="What marketers see, e.g. Device.")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.STRING)
    example = models.CharField(max_length=200, blank=True, help_text="e.g. mobile")
    values = models.JSONField(
        default=list,
        blank=True,
        help_text='Known values offered as suggestions, e.g. ["mobile", "desktop", "tablet"].',
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["label", "key"]
        verbose_name = "context attribute"

    def __str__(self) -> str:
        return f"context.{self.key}"

    def clean(self) -> None:
        from consent.firewall import sensitive_problems

        errors: dict[str, list[str]] = {}
        if not isinstance(self.values, list) or not all(
            isinstance(v, str | int | float | bool) for v in self.values
        ):
            errors["values"] = ['Give a list of plain values, e.g. ["mobile", "desktop"].']
        if problems := sensitive_problems(keys=[self.key, self.label]):
            errors["key"] = problems
        if errors:
            raise ValidationError(errors)
