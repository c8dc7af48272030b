"""Pseudonymous subjects: a random public id, optionally an account, and nothing personal."""

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from consent.chain import head_seal


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
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the visitor erased their data; only the consent proof is left.",
    )
    consent_version = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Bumped by every change of the subject's consent, preferences or existence: "
        "a cached copy of an older version is stale.",
    )
    # The head of the subject's consent chain, sealed with a key kept outside the database
    # (`consent.chain`): deleting the last events, or the whole chain, leaves it longer.
    chain_length = models.PositiveIntegerField(default=0, editable=False)
    chain_head = models.CharField(max_length=64, blank=True, editable=False)
    chain_seal = models.CharField(max_length=64, blank=True, editable=False)

    def __str__(self) -> str:
        return self.public_id

    def save(self, **kwargs: Any) -> None:
        if self._state.adding and not self.chain_seal:
            # Sealed from the start, so that wiping a chain cannot pass for a new subject.
            self.chain_seal = head_seal(subject_id=self.public_id, length=0, last_hash="")
        super().save(**kwargs)


class SubjectChange(models.Model):
    """A committed change of a subject whose reactions have not all happened yet (an outbox).

    Written in the transaction of the change and deleted once every reaction succeeded: the
    consent version published, the cached record refreshed, the data that consent no longer
    allows deleted elsewhere, the subject's open sockets told. A reaction that fails (Redis
    down) is retried until it succeeds, so an outage can delay a withdrawal's effects on derived
    data but never undo it. Holds the public id, not a key: an erased subject may be gone.
    """

    class Kind(models.TextChoices):
        CONSENT = "consent", "Consent"
        PREFERENCES = "preferences", "Preferences"
        ERASURE = "erasure", "Erasure"

    public_id = models.CharField(max_length=32)
    version = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} of {self.public_id} (version {self.version})"
