"""The append-only, hash-chained consent event log and the current state projected from it."""

from datetime import datetime
from typing import Any, NoReturn

from django.db import models
from django.utils import timezone

from consent.exceptions import ConsentEventImmutable
from consent.models.notices import NoticeVersion
from consent.models.purposes import Purpose
from consent.models.subjects import Subject


class Source(models.TextChoices):
    BANNER = "banner", "Banner"
    PRIVACY_CENTER = "privacy_center", "Privacy center"
    API = "api", "API"
    GPC = "gpc", "Global Privacy Control"
    TCF = "tcf", "TCF string"
    GPP = "gpp", "GPP string"
    # Nobody chose: a grant reached the end of its validity (`purge_expired`).
    SYSTEM = "system", "Expiry"


# The visitor's own choices, made with one of Tactful's controls; they outrank a host CMP's
# TC string and are outranked only by Global Privacy Control (see `consent.precedence`).
OWN_SOURCES = frozenset({Source.BANNER, Source.PRIVACY_CENTER, Source.API})
# Strings from the host's consent management platform: inputs below the visitor's own choices.
CMP_SOURCES = frozenset({Source.TCF, Source.GPP})


class ConsentEventQuerySet(models.QuerySet["ConsentEvent"]):
    """Bulk edits would bypass `ConsentEvent.save()`, so they are refused here as well."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise ConsentEventImmutable("Consent events are append-only.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ConsentEventImmutable("Consent events are append-only.")

    def delete(self) -> NoReturn:
        raise ConsentEventImmutable("Consent events are append-only.")

    def seals_replace(self, events: list["ConsentEvent"]) -> int:
        """Write the new seals of `events`, after the chain key was rotated: nothing else.

        Seals are not content (the hashes and everything they cover stay as written), so this
        is the one field an event may change; `consent.services.chains` decides when.
        """
        # A plain QuerySet: bulk_update runs through update(), which this class refuses.
        plain: models.QuerySet[ConsentEvent] = models.QuerySet(self.model, using=self.db)
        return plain.bulk_update(events, ["seal"])

    def erase_whole_chains(self, subjects: models.QuerySet[Subject]) -> int:
        """Delete every event of `subjects`: only whole chains, only for erasure and retention.

        The one deliberate way out of the log, used when the operator's policy does not keep
        consent proof after erasure, or when that proof is past its own retention.
        """
        deleted, _ = models.QuerySet.delete(self.model.objects.filter(subject__in=subjects))
        return deleted


class ConsentEvent(models.Model):
    """One consent choice or signal for one purpose: append-only proof (GDPR Art. 7(1)).

    Each event carries the SHA-256 of its content and of the previous event of its subject,
    so editing, removing or reordering any event breaks the subject's chain, and a seal (an
    HMAC of that hash) that nobody can recompute without the chain key.
    """

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
    signal_data = models.JSONField(
        default=dict, blank=True, help_text="The external signal decoded (a TC string's fields)."
    )
    notice = models.ForeignKey(
        NoticeVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consent_events",
        help_text="The notice version in force, as shown to the visitor.",
    )
    sequence = models.PositiveIntegerField(help_text="Position in the subject's chain, from 1.")
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # An HMAC of the hash under a key outside the database: SQL can recompute a hash, not this.
    seal = models.CharField(max_length=64, blank=True)

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["subject", "created_at"])]
        constraints = [
            # Two writers can never fork a chain: the second append of a position fails.
            models.UniqueConstraint(fields=["subject", "sequence"], name="consent_event_chain")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    def save(self, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise ConsentEventImmutable("Consent events are append-only.")
        # Never let a preset primary key turn the insert into an update of an existing row.
        super().save(**{**kwargs, "force_insert": True})

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ConsentEventImmutable("Consent events are append-only.")

    @property
    def purpose_key(self) -> str:
        return self.purpose.key

    @property
    def notice_hash(self) -> str:
        return self.notice.content_hash if self.notice is not None else ""


class ConsentState(models.Model):
    """The current choice of a subject for a purpose: a projection rebuilt from the events."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="consent_states")
    purpose = models.ForeignKey(Purpose, on_delete=models.CASCADE, related_name="+")
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=Source.choices)
    control = models.CharField(max_length=50, blank=True)
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
