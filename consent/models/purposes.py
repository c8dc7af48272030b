"""The purpose registry: what data may be used for, each granted or refused on its own."""

from django.core.exceptions import ValidationError
from django.db import models

NECESSARY = "necessary"
PERSONALIZATION = "personalization"
ADVERTISING = "advertising"

TCF_PURPOSE_IDS = range(1, 12)
CONSENT_MODE_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "personalization_storage",
    "functionality_storage",
    "security_storage",
)


class Purpose(models.Model):
    """What data may be used for; each purpose is granted or refused on its own."""

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(help_text="Plain language: what this purpose does with data.")
    example = models.TextField(help_text="One concrete example a visitor recognises.")
    retention_days = models.PositiveIntegerField()
    always_on = models.BooleanField(
        default=False, help_text="Cannot be refused; only for strictly necessary processing."
    )
    tcf_purposes = models.JSONField(
        default=list, blank=True, help_text="IAB TCF v2.2 purpose ids (1-11)."
    )
    consent_mode_types = models.JSONField(
        default=list,
        blank=True,
        help_text="Google Consent Mode types: " + ", ".join(CONSENT_MODE_TYPES) + ".",
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        tcf = self.tcf_purposes
        if not isinstance(tcf, list) or any(
            type(i) is not int or i not in TCF_PURPOSE_IDS for i in tcf
        ):
            errors["tcf_purposes"] = "A list of IAB TCF purpose ids between 1 and 11."
        modes = self.consent_mode_types
        if not isinstance(modes, list) or any(m not in CONSENT_MODE_TYPES for m in modes):
            errors["consent_mode_types"] = "A list of: " + ", ".join(CONSENT_MODE_TYPES) + "."
        if self.always_on != (self.key == NECESSARY):
            # Anything else always on would bundle consent, which is exactly what must not happen.
            errors["always_on"] = f"Only the {NECESSARY!r} purpose is always on, and it must be."
        if errors:
            raise ValidationError(errors)
