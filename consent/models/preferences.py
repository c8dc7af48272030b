"""Explicit preferences: the registry of keys and allowed values, and each subject's choice."""

from django.core.exceptions import ValidationError
from django.db import models

from consent.firewall import sensitive_problems
from consent.models.subjects import Subject


class PreferenceKey(models.Model):
    """A preference visitors may set, read by segments as `prefs.<key>`."""

    key = models.SlugField(
        max_length=50, unique=True, help_text="Segments read it as prefs.<key>, e.g. interests."
    )
    label = models.CharField(max_length=100, help_text="Shown to visitors, e.g. Interests.")
    noun = models.CharField(
        max_length=50, help_text='One value, in a sentence: "Because you chose the interest …".'
    )
    description = models.TextField(blank=True, help_text="Plain language: what it changes.")
    multiple = models.BooleanField(default=True, help_text="Visitors may choose several values.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        if problems := sensitive_problems(keys=[self.key, self.label, self.noun]):
            raise ValidationError({"key": problems})


class PreferenceOption(models.Model):
    """One allowed value of a preference key, e.g. `outdoor` for `interests`."""

    preference = models.ForeignKey(PreferenceKey, on_delete=models.CASCADE, related_name="options")
    value = models.SlugField(max_length=50)
    label = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["preference", "order", "value"]
        constraints = [
            models.UniqueConstraint(fields=["preference", "value"], name="preference_option_unique")
        ]

    def __str__(self) -> str:
        return f"{self.preference_id and self.preference.key}={self.value}"

    def clean(self) -> None:
        if problems := sensitive_problems(values=[self.value, self.label]):
            raise ValidationError({"value": problems})


class SubjectPreferences(models.Model):
    """What one subject chose: {key: [values]}, every value from the registry."""

    subject = models.OneToOneField(Subject, on_delete=models.CASCADE, related_name="preferences")
    values = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "subject preferences"

    def __str__(self) -> str:
        return f"Preferences #{self.pk}"
