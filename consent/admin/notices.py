"""Admin of notice versions: drafts, translations, and publishing (then read-only)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from consent.models import NoticeTranslation, NoticeVersion, Purpose
from consent.services import notice_publish, notice_save, notice_translation_save

_NOTICE_FIELDS: list[Any] = [
    "version",
    "title",
    "language",
    "text",
    "reconsent_purposes",
    "effective_at",
    "published_at",
    "content_hash",
]


class NoticeVersionForm(forms.ModelForm):
    reconsent_purposes = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only these purposes are asked again; earlier grants of them become void "
        "when this version takes effect. Leave all unticked for a change that needs no new "
        "consent.",
    )

    class Meta:
        model = NoticeVersion
        fields = ["version", "title", "language", "text", "reconsent_purposes", "effective_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Absent when the version is published: then every field is read-only.
        reconsent = self.fields.get("reconsent_purposes")
        if isinstance(reconsent, forms.MultipleChoiceField):
            reconsent.choices = [(p.key, p.name) for p in Purpose.objects.filter(always_on=False)]


class NoticeTranslationInline(admin.StackedInline):
    model = NoticeTranslation
    extra = 0
    fields = ["language", "title", "text"]


@admin.register(NoticeVersion)
class NoticeVersionAdmin(admin.ModelAdmin):
    form = NoticeVersionForm
    list_display = ["version", "title", "language", "published_at", "effective_at", "short_hash"]
    list_filter = ["published_at"]
    inlines = [NoticeTranslationInline]
    actions = ["publish"]

    @admin.display(description="content hash")
    def short_hash(self, obj: NoticeVersion) -> str:
        return obj.content_hash[:16] if obj.content_hash else "draft"

    fields = _NOTICE_FIELDS

    def get_readonly_fields(
        self, request: HttpRequest, obj: NoticeVersion | None = None
    ) -> list[str]:
        # Published: nothing of the version itself changes, only its translations.
        published = obj is not None and obj.is_published
        return _NOTICE_FIELDS if published else _NOTICE_FIELDS[-2:]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        published = obj is not None and obj.is_published
        return not published and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: NoticeVersion, form: Any, change: bool) -> None:
        # A published version's own fields are read-only; only its translations can be saved.
        if not obj.is_published:
            notice_save(notice=obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for translation in formset.save(commit=False):
            notice_translation_save(translation=translation)
        for translation in formset.deleted_objects:
            translation.delete()

    @admin.action(description="Publish the selected drafts", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[NoticeVersion]) -> None:
        for notice in queryset.order_by("version"):
            try:
                notice_publish(notice=notice)
            except ValidationError as exc:
                self.message_user(request, f"v{notice.version}: {exc.messages[0]}", messages.ERROR)
            else:
                self.message_user(request, f"Published v{notice.version}.", messages.SUCCESS)
