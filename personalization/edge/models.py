"""The edge key: a revocable credential with which an edge worker reads the edge snapshot."""

from django.conf import settings
from django.db import models


class EdgeKey(models.Model):
    """An edge's credential, stored as a digest: the key itself is shown once, when created."""

    name = models.CharField(max_length=120, help_text="Which edge uses it, e.g. cloudflare-prod.")
    prefix = models.CharField(
        max_length=16, unique=True, editable=False, help_text="Names the key without revealing it."
    )
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        app_label = "personalization"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
