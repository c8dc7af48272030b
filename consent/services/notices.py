"""Notice writes: drafts, translations and publishing (after which a version never changes)."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from consent.models import NoticeTranslation, NoticeVersion, Purpose
from consent.services.consent import registry_forget


def _reconsent_check(notice: NoticeVersion) -> None:
    known = set(Purpose.objects.filter(always_on=False).values_list("key", flat=True))
    unknown = sorted(set(notice.reconsent_purposes) - known)
    if unknown:
        raise ValidationError(
            {"reconsent_purposes": f"Not an optional purpose: {', '.join(unknown)}."}
        )


def notice_save(*, notice: NoticeVersion) -> NoticeVersion:
    """Validate and save a draft; a published version raises `NoticeImmutable`."""
    notice.full_clean()
    _reconsent_check(notice)
    with transaction.atomic():
        notice.save()
    return notice


def notice_publish(*, notice: NoticeVersion, effective_at: datetime | None = None) -> NoticeVersion:
    """Publish a draft: its content hash is fixed, and from `effective_at` (default now) it is
    the notice in force; grants of its re-consent purposes made before then are void.
    """
    now = timezone.now()
    effective_at = effective_at or notice.effective_at or now
    if effective_at < now:
        # A past date would void grants retroactively, behind the visitors' backs.
        raise ValidationError({"effective_at": "A notice takes effect now or later, not before."})
    _reconsent_check(notice)
    with transaction.atomic():
        notice = NoticeVersion.objects.select_for_update().get(pk=notice.pk)
        if notice.is_published:
            raise ValidationError(f"Notice v{notice.version} is already published.")
        latest = NoticeVersion.objects.filter(published_at__isnull=False).aggregate(
            latest=Max("version")
        )["latest"]
        if latest is not None and notice.version <= latest:
            raise ValidationError(
                {"version": f"Publish versions in order: v{latest} is already published."}
            )
        notice.published_at = now
        notice.effective_at = effective_at
        notice.content_hash = notice.content_digest()
        notice.save()
        transaction.on_commit(registry_forget)
    return notice


def notice_translation_save(*, translation: NoticeTranslation) -> NoticeTranslation:
    """A translation belongs to its version and never voids consent given under it."""
    translation.full_clean()
    with transaction.atomic():
        translation.save()
    return translation
