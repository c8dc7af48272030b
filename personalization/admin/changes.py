"""Changes to publish (the drafts, with their differences) and change sets under review."""

import zoneinfo
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from personalization.admin.base import ReadOnlyAdmin
from personalization.models import ChangeSet
from personalization.workspace import schedules
from personalization.workspace import services as workspace
from personalization.workspace.exceptions import WorkspaceError
from personalization.workspace.selectors import (
    EntryChange,
    change_set_changes,
    drafts_list,
    token_entry,
)


def _time_zones() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def localize(form: forms.Form, field: str, zone: ZoneInfo) -> datetime | None:
    """The field's wall-clock time in `zone`, as an aware datetime; an error at the field when
    it does not exist there (the hour skipped when clocks go forward) or has passed."""
    naive = form.cleaned_data.get(field)
    if naive is None:
        return None
    naive = naive.replace(tzinfo=None)
    aware = naive.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        form.add_error(
            field, f"{naive:%H:%M} does not exist that day in {zone.key}: the clocks go forward."
        )
        return None
    if aware <= timezone.now():
        form.add_error(field, "That time has passed: choose a time in the future.")
        return None
    return aware


def _wall_clock(label: str, help_text: str) -> forms.DateTimeField:
    """A date and time as the browser's picker gives it: no zone (the form has one)."""
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=help_text,
    )


class ScheduleFields(forms.Form):
    """When to publish (and undo), in the time zone the marketer means."""

    publish_at = _wall_clock("Publish at", "Leave empty to publish now.")
    revert_at = _wall_clock(
        "Undo at", "Optional: when the change ends and what was live before comes back."
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        initial="UTC",
        required=False,
        help_text="The times above are in this zone.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _time_zones()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["time_zone"] = data.get("time_zone") or "UTC"
        zone = ZoneInfo(data["time_zone"])
        publish_at = localize(self, "publish_at", zone)
        revert_at = localize(self, "revert_at", zone)
        if revert_at is not None and publish_at is None and "publish_at" not in self.errors:
            self.add_error("revert_at", "Choose when to publish too: the undo comes after it.")
        elif revert_at is not None and publish_at is not None and revert_at <= publish_at:
            self.add_error("revert_at", "The change must be undone after it is published.")
        data["publish_at"], data["revert_at"] = publish_at, revert_at
        return data


class DraftsForm(ScheduleFields):
    entries = forms.MultipleChoiceField(
        label="Changes",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one change."},
    )
    message = forms.CharField(
        label="Why",
        required=False,
        max_length=300,
        help_text="What the history and the reviewer see, e.g. “New hero for mobile shoe fans”.",
        widget=forms.TextInput(attrs={"size": 80}),
    )

    def __init__(self, *args: Any, drafts: list[EntryChange], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entries"].choices = [(d.token, d.label) for d in drafts]  # type: ignore[attr-defined]

    def chosen(self) -> list[tuple[str, str]]:
        return [entry for token in self.cleaned_data["entries"] if (entry := token_entry(token))]


ACTIONS = ("approve", "reject", "publish", "withdraw", "schedule", "unschedule")


class ReviewForm(ScheduleFields):
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    note = forms.CharField(label="Note for the author", required=False, max_length=300)


@admin.register(ChangeSet)
class ChangeSetAdmin(ReadOnlyAdmin):
    list_display = ["number", "message", "author", "status", "created_at", "reviewer", "revision"]
    list_filter = ["status", "kind"]
    search_fields = ["message"]
    list_select_related = ["author", "reviewer", "revision"]

    @admin.display(description="change set", ordering="id")
    def number(self, obj: ChangeSet) -> str:
        return f"#{obj.pk}"

    def get_urls(self) -> list[URLPattern]:
        def route(suffix: str, view: Any, name: str) -> URLPattern:
            return path(suffix, self.admin_site.admin_view(view), name=name)

        return [
            route("drafts/", self.drafts_view, "personalization_drafts"),
            route("<int:pk>/review/", self.review_view, "personalization_changeset_review"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra = {"drafts_url": reverse("admin:personalization_drafts"), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:personalization_changeset_review", args=[object_id])
        )

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def drafts_view(self, request: HttpRequest) -> HttpResponse:
        """The unpublished changes, each with its difference from what is live: publish a
        selection (or submit it for approval), or discard it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        drafts = drafts_list()
        form = DraftsForm(request.POST or None, drafts=drafts)
        if request.method == "POST" and form.is_valid():
            if "_discard" in request.POST:
                return self._discard(request, form, drafts)
            if not form.cleaned_data["message"].strip():
                form.add_error("message", "Say why: the message is what the history shows.")
            else:
                response = self._publish(request, form)
                if response is not None:
                    return response
        context = self._context(
            request,
            "Changes to publish",
            drafts=drafts,
            form=form,
            selected=set(form["entries"].value() or [d.token for d in drafts]),
            schedule_fields=[form["publish_at"], form["revert_at"], form["time_zone"]],
            can_publish=request.user.has_perm(workspace.PUBLISH),
        )
        return TemplateResponse(request, "admin/personalization/drafts.html", context)

    def _publish(self, request: HttpRequest, form: DraftsForm) -> HttpResponse | None:
        data = form.cleaned_data
        try:
            change_set = schedules.changes_publish_or_schedule(
                entries=form.chosen(),
                author=request.user,  # type: ignore[arg-type]
                message=data["message"],
                publish_at=data["publish_at"],
                revert_at=data["revert_at"],
                time_zone=data["time_zone"],
            )
        except WorkspaceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        review = reverse("admin:personalization_changeset_review", args=[change_set.pk])
        if change_set.status == ChangeSet.Status.PENDING:
            self.message_user(
                request,
                f"Change set #{change_set.pk} is waiting for someone else's approval.",
                messages.WARNING,
            )
            return HttpResponseRedirect(review)
        if change_set.status == ChangeSet.Status.SCHEDULED:
            self.message_user(
                request, f"Change set #{change_set.pk} is scheduled.", messages.SUCCESS
            )
            return HttpResponseRedirect(review)
        number = change_set.revision.number if change_set.revision else "?"
        self.message_user(request, f"Published as revision r{number}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:personalization_drafts"))

    def _discard(
        self, request: HttpRequest, form: DraftsForm, drafts: list[EntryChange]
    ) -> HttpResponse:
        try:
            restored = workspace.drafts_discard(
                entries=form.chosen(),
                actor=request.user,  # type: ignore[arg-type]
            )
        except WorkspaceError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            names = ", ".join(f"{section[:-1]} {key}" for section, key in restored)
            self.message_user(request, f"Discarded: {names}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:personalization_drafts"))

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """A change set: what it changes, why it needs approval, and what one may do with it."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        change_set = get_object_or_404(ChangeSet.objects.select_related("author"), pk=pk)
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            response = self._review_action(request, change_set, form)
            if response is not None:
                return response
        user = request.user
        is_open = change_set.status in (
            ChangeSet.Status.PENDING,
            ChangeSet.Status.APPROVED,
            ChangeSet.Status.SCHEDULED,
        )
        context = self._context(
            request,
            f"Change set #{change_set.pk}",
            change_set=change_set,
            changes=change_set_changes(change_set),
            form=form,
            is_author=change_set.author_id == user.pk,
            can_review=change_set.status == ChangeSet.Status.PENDING
            and change_set.author_id != user.pk
            and user.has_perm(workspace.APPROVE),
            can_publish=change_set.status == ChangeSet.Status.APPROVED
            and user.has_perm(workspace.PUBLISH),
            can_withdraw=is_open
            and (change_set.author_id == user.pk or user.has_perm(workspace.PUBLISH)),
            can_schedule=change_set.status
            in (ChangeSet.Status.PENDING, ChangeSet.Status.APPROVED, ChangeSet.Status.SCHEDULED)
            and user.has_perm(workspace.PUBLISH),
            schedules=change_set.schedules.order_by("due_at", "id"),
            schedule_fields=[form["publish_at"], form["revert_at"], form["time_zone"]],
        )
        return TemplateResponse(request, "admin/personalization/changeset/review.html", context)

    def _review_action(
        self, request: HttpRequest, change_set: ChangeSet, form: ReviewForm
    ) -> HttpResponse | None:
        data = form.cleaned_data
        action, note = data["action"], data["note"]
        user: Any = request.user
        done = {
            "approve": "Approved.",
            "reject": "Rejected; the author can see why.",
            "withdraw": "Withdrawn.",
            "schedule": "Scheduled.",
            "unschedule": "The schedule is cancelled.",
        }
        try:
            if action == "schedule":
                if data["publish_at"] is None:
                    form.add_error("publish_at", "Choose when to publish it.")
                    return None
                schedules.changeset_schedule(
                    change_set=change_set,
                    actor=user,
                    publish_at=data["publish_at"],
                    revert_at=data["revert_at"],
                    time_zone=data["time_zone"],
                )
            elif action == "unschedule":
                workspace.require_permission(user, workspace.PUBLISH, "You may not do this.")
                schedules.changeset_unschedule(change_set=change_set, actor=user)
            elif action == "approve":
                workspace.changeset_approve(change_set=change_set, reviewer=user, note=note)
            elif action == "reject":
                workspace.changeset_reject(change_set=change_set, reviewer=user, note=note)
            elif action == "withdraw":
                workspace.changeset_withdraw(change_set=change_set, actor=user)
            else:
                revision = workspace.changeset_publish(change_set=change_set, actor=user)
                done["publish"] = f"Published as revision r{revision.number}."
        except WorkspaceError as error:
            self.message_user(request, error.message, messages.ERROR)
            change_set.refresh_from_db()
            return None
        self.message_user(request, done[action], messages.SUCCESS)
        return HttpResponseRedirect(request.path)
