"""Consent models: the purpose registry, pseudonymous subjects, the event log and its projection."""

import secrets
from datetime import datetime
from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from consent.exceptions import ConsentEventImmutable

NECESSARY = "necessary"
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


def public_id_new() -> str:
    return secrets.token_urlsafe(16)


class Subject(models.Model):
    """A pseudonymous visitor: a random public id and nothing personal."""

    public_id = models.CharField(max_length=32, unique=True, default=public_id_new, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # Deleting an account must not delete the proof of what its visitor consented to.
        on_delete=models.SET_NULL,
        related_name="tactful_subjects",
    )
    gpc_at = models.DateTimeField(
        null=True, blank=True, help_text="When a Global Privacy Control signal was first honoured."
    )

    def __str__(self) -> str:
        return self.public_id


class Source(models.TextChoices):
    BANNER = "banner", "Banner"
    PRIVACY_CENTER = "privacy_center", "Privacy center"
    API = "api", "API"
    GPC = "gpc", "Global Privacy Control"
    TCF = "tcf", "TCF string"


class ConsentEventQuerySet(models.QuerySet["ConsentEvent"]):
    """Bulk edits would bypass `ConsentEvent.save()`, so they are refused here as well."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise ConsentEventImmutable("Consent events are append-only.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ConsentEventImmutable("Consent events are append-only.")

    def delete(self) -> NoReturn:
        raise ConsentEventImmutable("Consent events are append-only.")


class ConsentEvent(models.Model):
    """One consent choice or signal for one purpose: append-only proof (GDPR Art. 7(1))."""

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        REFUSE = "refuse", "Refuse"
        WITHDRAW = "withdraw", "Withdraw"
        EXPIRE = "expire", "Expire"
        SIGNAL = "signal", "Signal"

    Source = Source

    # PROTECT: deleting a subject or purpose must not silently take its proof with it.
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="consent_events")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="consent_events")
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=Source.choices)
    control = models.CharField(max_length=50, blank=True, help_text="Which control was used.")
    raw_signal = models.TextField(blank=True, help_text="The external signal verbatim, if any.")

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["subject", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def save(self, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise ConsentEventImmutable("Consent events are append-only.")
        # Never let a preset primary key turn the insert into an update of an existing row.
        super().save(**{**kwargs, "force_insert": True})

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ConsentEventImmutable("Consent events are append-only.")


class ConsentState(models.Model):
    """The current choice of a subject for a purpose: a projection rebuilt from the events."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="consent_states")
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="+")
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=Source.choices)
    updated_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "purpose"], name="consent_state_unique")
        ]

    def __str__(self) -> str:
        return f"{'Granted' if self.granted else 'Not granted'} #{self.pk}"

    def is_granted(self, at: datetime) -> bool:
        """Whether the purpose is granted at `at`: an expired grant counts as not granted."""
        return self.granted and (self.expires_at is None or self.expires_at > at)
