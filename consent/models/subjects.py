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
