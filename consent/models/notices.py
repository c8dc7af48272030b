"""Privacy notice versions: immutable once published, per-purpose re-consent, translations."""

import hashlib
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from consent.exceptions import NoticeImmutable


class NoticeVersionQuerySet(models.QuerySet["NoticeVersion"]):
    """Bulk edits would bypass `NoticeVersion.save()`; published versions stay as they are."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(published_at__isnull=False).exists():
            raise NoticeImmutable("A published notice version cannot be changed.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(published_at__isnull=False).exists():
            raise NoticeImmutable("A published notice version cannot be deleted.")
        return super().delete()


class NoticeVersion(models.Model):
    """The privacy notice as shown to visitors; consent events name the version they were under."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="The full notice, exactly as visitors read it.")
    language = models.CharField(max_length=10, default="en", help_text="Language of the text.")
    reconsent_purposes = models.JSONField(
        default=list,
        blank=True,
        help_text="Keys of the purposes whose earlier grants this version makes void: only "
        "those are asked again.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    effective_at = models.DateTimeField(
        null=True, blank=True, help_text="When it replaces the previous version; blank: now."
    )
    content_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = NoticeVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}: {self.title}"

    def save(self, **kwargs: Any) -> None:
        if self._published_in_database():
            raise NoticeImmutable("A published notice version cannot be changed.")
        super().save(**kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self._published_in_database():
            raise NoticeImmutable("A published notice version cannot be deleted.")
        return super().delete(*args, **kwargs)

    def _published_in_database(self) -> bool:
        return (
            self.pk is not None
            and NoticeVersion.objects.filter(pk=self.pk, published_at__isnull=False).exists()
        )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def content_digest(self) -> str:
        """SHA-256 of what a visitor was shown and what it asks again (hex)."""
        content = {
            "version": self.version,
            "title": self.title,
            "text": self.text,
            "language": self.language,
            "reconsent_purposes": sorted(self.reconsent_purposes),
        }
        return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def clean(self) -> None:
        purposes = self.reconsent_purposes
        if not isinstance(purposes, list) or any(not isinstance(p, str) for p in purposes):
            raise ValidationError({"reconsent_purposes": "A list of purpose keys."})


class NoticeTranslation(models.Model):
    """The same notice in another language: it belongs to its version and never voids consent."""

    notice = models.ForeignKey(NoticeVersion, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=10, help_text="e.g. fr, de, pt-br.")
    title = models.CharField(max_length=200)
    text = models.TextField()

    class Meta:
        ordering = ["notice", "language"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "language"], name="notice_translation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.notice} ({self.language})"
