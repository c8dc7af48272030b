"""Notice reads: the version in force, a published version, and its text in a language."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from consent.models import NoticeVersion


def notices_published() -> QuerySet[NoticeVersion]:
    return NoticeVersion.objects.filter(published_at__isnull=False).order_by("-version")


def notice_current() -> NoticeVersion | None:
    """The version in force now: the highest published one that is already effective."""
    return (
        notices_published()
        .filter(effective_at__lte=timezone.now())
        .prefetch_related("translations")
        .first()
    )


def notice_published_get(*, version: int) -> NoticeVersion | None:
    return notices_published().filter(version=version).prefetch_related("translations").first()


@dataclass(frozen=True, slots=True)
class NoticeText:
    """A notice version as shown in one language (a translation never changes the version)."""

    notice: NoticeVersion
    language: str
    title: str
    text: str
    languages: tuple[str, ...]


def notice_text(*, notice: NoticeVersion, language: str | None) -> NoticeText:
    """The notice in `language` when translated into it, otherwise in its own language."""
    translations = {t.language: t for t in notice.translations.all()}
    languages = (notice.language, *sorted(translations))
    translation = translations.get(language or "")
    if translation is None:
        return NoticeText(notice, notice.language, notice.title, notice.text, languages)
    return NoticeText(notice, language or "", translation.title, translation.text, languages)
