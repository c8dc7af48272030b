"""Read-only subjects and consent log, with a subject's consent at any moment and its chain."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from consent.admin.base import ReadOnlyAdmin
from consent.models import ConsentEvent, ConsentState, Subject
from consent.selectors import consent_at, preferences_stored, subject_chain_verify


class ConsentStateInline(admin.TabularInline):
    model = ConsentState
    readonly_fields = ("purpose", "granted", "source", "control", "updated_at", "expires_at")
    fields = readonly_fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ConsentAtForm(forms.Form):
    at = forms.DateTimeField(
        label="At (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"}),
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"],
    )


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "created_at", "user", "gpc_at", "erased_at"]
    list_filter = ["created_at", "gpc_at", "erased_at"]
    search_fields = ["public_id"]
    readonly_fields = ["chain", "consent_history", "preferences"]
    fields = ["public_id", "created_at", "user", "gpc_at", "erased_at", *readonly_fields]
    inlines = [ConsentStateInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["public_id", "created_at", "user", "gpc_at", "erased_at", *self.readonly_fields]

    @admin.display(description="consent chain")
    def chain(self, obj: Subject) -> str:
        report = subject_chain_verify(subject=obj)
        if report.ok:
            return (
                f"Verified: {report.length} events, sealed, none altered, removed or reordered; "
                "the current consent state is what they say."
            )
        return format_html(
            "<strong>FAILED</strong><ul>{}</ul>",
            format_html_join("", "<li>{}.</li>", ((problem,) for problem in report.problems)),
        )

    @admin.display(description="consent history")
    def consent_history(self, obj: Subject) -> str:
        events = reverse("admin:consent_consentevent_changelist") + f"?subject__id__exact={obj.pk}"
        at = reverse("admin:consent_subject_consent_at", args=[obj.pk])
        return format_html(
            '<a href="{}">All events</a> · <a href="{}">Consent at a given time</a>', events, at
        )

    @admin.display(description="preferences")
    def preferences(self, obj: Subject) -> str:
        stored = preferences_stored(subject=obj)
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in stored.items()) or "—"

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<path:object_id>/consent-at/",
                self.admin_site.admin_view(self.consent_at_view),
                name="consent_subject_consent_at",
            ),
            *super().get_urls(),
        ]

    def consent_at_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        subject = get_object_or_404(Subject, pk=object_id)
        if not self.has_view_permission(request, subject):
            raise PermissionDenied
        form = ConsentAtForm(request.GET or {"at": timezone.now().strftime("%Y-%m-%dT%H:%M:%S")})
        rows = consent_at(subject=subject, at=form.cleaned_data["at"]) if form.is_valid() else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Consent of {subject} at a given time",
            "subject": subject,
            "form": form,
            "rows": rows,
            "chain": subject_chain_verify(subject=subject),
        }
        return TemplateResponse(request, "admin/consent/subject/consent_at.html", context)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "subject",
        "sequence",
        "kind",
        "purpose",
        "granted",
        "source",
        "control",
        "notice",
    ]
    list_filter = ["kind", "source", "purpose", "granted", "notice", "created_at"]
    list_select_related = ["subject", "purpose", "notice"]
    search_fields = ["subject__public_id"]
    date_hierarchy = "created_at"
    # Counting a long append-only log on every page would be the slowest part of the page.
    show_full_result_count = False
