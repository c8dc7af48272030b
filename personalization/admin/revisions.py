"""Revisions: who published what, when and why, in words; rollback, previewed and confirmed.

A rollback (of one placement or of everything) is published as a new revision.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode

from personalization.admin.base import ReadOnlyAdmin
from personalization.models import Revision
from personalization.workspace.documents import entries_changed
from personalization.workspace.exceptions import WorkspaceError
from personalization.workspace.rollback import rollback_plan, rollback_publish
from personalization.workspace.selectors import entry_changes, live_get
from personalization.workspace.services import PUBLISH


class RollbackForm(forms.Form):
    message = forms.CharField(
        label="Why",
        max_length=300,
        help_text="What the history shows, e.g. “The spring hero confused mobile visitors”.",
        widget=forms.TextInput(attrs={"size": 80}),
    )


def rollback_url(revision: Revision, placement: str | None = None) -> str:
    url = reverse("admin:personalization_revision_rollback", args=[revision.pk])
    return f"{url}?{urlencode({'placement': placement})}" if placement else url


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["number", "created_at", "author", "message"]
    list_select_related = ["author"]
    search_fields = ["message"]
    actions = ["rollback"]
    change_form_template = "admin/personalization/revision/detail.html"

    def has_rollback_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PUBLISH)

    @admin.action(
        description="Roll back everything to the selected revision…", permissions=["rollback"]
    )
    def rollback(self, request: HttpRequest, queryset: QuerySet[Revision]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one revision.", messages.ERROR)
            return None
        return HttpResponseRedirect(rollback_url(queryset.get()))

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.rollback_view)
        rollback = path("<int:pk>/rollback/", view, name="personalization_revision_rollback")
        return [rollback, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Who, when, why, and what this revision changed from the one before, in words."""
        revision = self.get_object(request, object_id)
        extra: dict[str, Any] = {}
        if revision is not None:
            previous = (
                Revision.objects.filter(number__lt=revision.number).order_by("-number").first()
            )
            before = previous.snapshot if previous else {}
            changed = entries_changed(before, revision.snapshot)
            live = live_get()
            extra = {
                "revision": revision,
                "previous": previous,
                "change_set": revision.change_sets.select_related("reviewer").first(),
                "changes": entry_changes(before, revision.snapshot, changed),
                "undo": [
                    (key, rollback_url(previous, key))
                    for section, key in changed
                    if section == "placements" and previous is not None
                ],
                "restore": [
                    (key, rollback_url(revision, key))
                    for section, key in entries_changed(live, revision.snapshot)
                    if section == "placements"
                ],
                "restore_all": rollback_url(revision)
                if entries_changed(live, revision.snapshot)
                else None,
                "can_rollback": request.user.has_perm(PUBLISH),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def rollback_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Preview a rollback (what changes, which drafts it replaces), then confirm it."""
        if not request.user.has_perm(PUBLISH):
            raise PermissionDenied
        revision = get_object_or_404(Revision, pk=pk)
        placement = request.GET.get("placement") or None
        try:
            plan = rollback_plan(revision=revision, placement=placement)
        except WorkspaceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:personalization_revision_change", args=[pk]))
        form = RollbackForm(request.POST or None, initial={"message": plan.message})
        if request.method == "POST" and form.is_valid():
            try:
                published = rollback_publish(
                    revision=revision,
                    placement=placement,
                    actor=request.user,  # type: ignore[arg-type]
                    message=form.cleaned_data["message"],
                )
            except WorkspaceError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                done = f"Rolled back {plan.scope} to r{revision.number}"
                self.message_user(
                    request, f"{done}: published as r{published.number}.", messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse("admin:personalization_revision_change", args=[published.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Roll back {plan.scope} to r{revision.number}",
            "plan": plan,
            "form": form,
        }
        return TemplateResponse(request, "admin/personalization/revision/rollback.html", context)
