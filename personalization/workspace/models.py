"""Models of the marketer's workspace (imported by `personalization.models`)."""

import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone


class ContextKey(models.Model):
    """A `context.*` attribute the frontend sends, declared so segments can offer it by name."""

    class Type(models.TextChoices):
        STRING = "string", "Text"
        NUMBER = "number", "Number"
        BOOLEAN = "boolean", "Yes / no"
        LIST = "list", "List of texts"

    key = models.SlugField(
        max_length=64,
        unique=True,
        help_text="Segments read it as context.<key>, e.g. device or utm_campaign.",
    )
    label = models.CharField(max_length=100, help_text="What marketers see, e.g. Device.")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.STRING)
    example = models.CharField(max_length=200, blank=True, help_text="e.g. mobile")
    values = models.JSONField(
        default=list,
        blank=True,
        help_text='Known values offered as suggestions, e.g. ["mobile", "desktop", "tablet"].',
    )
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["label", "key"]
        verbose_name = "context attribute"

    def __str__(self) -> str:
        return f"context.{self.key}"

    def clean(self) -> None:
        from consent.firewall import sensitive_problems

        errors: dict[str, list[str]] = {}
        if not isinstance(self.values, list) or not all(
            isinstance(v, str | int | float | bool) for v in self.values
        ):
            errors["values"] = ['Give a list of plain values, e.g. ["mobile", "desktop"].']
        if problems := sensitive_problems(keys=[self.key, self.label]):
            errors["key"] = problems
        if errors:
            raise ValidationError(errors)


class ChangeSet(models.Model):
    """Changes to one or more placements, segments or experiments, published together.

    `entries` is frozen when the change set is made: for each changed item its version live
    then (`before`, None when new) and the proposed one (`after`, None when deleted). Publishing
    applies `after` on top of what is live, unless an item changed meanwhile (a conflict).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved, not published yet"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        FAILED = "failed", "Could not be published"

    class Kind(models.TextChoices):
        CHANGE = "change", "Change"
        ROLLBACK = "rollback", "Rollback"

    message = models.CharField("why", max_length=300)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CHANGE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="change_sets",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    entries = models.JSONField(default=list)
    base_revision = models.PositiveIntegerField(default=0)
    approval_reasons = models.JSONField(default=list, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_change_sets",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    revision = models.ForeignKey(
        "personalization.Revision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="change_sets",
    )
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "change set"
        permissions = [
            ("publish_changeset", "Can publish changes"),
            ("approve_changeset", "Can approve other people's changes"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.message}"

    @property
    def needs_approval(self) -> bool:
        return bool(self.approval_reasons)


class AuditEntry(models.Model):
    """One configuration change, review step, publication or rollback: who, when, what, why."""

    class Action(models.TextChoices):
        ADDED = "added", "Added (draft)"
        CHANGED = "changed", "Changed (draft)"
        DELETED = "deleted", "Deleted (draft)"
        DISCARDED = "discarded", "Discarded a draft"
        SUBMITTED = "submitted", "Submitted for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        SCHEDULED = "scheduled", "Scheduled"
        UNSCHEDULED = "unscheduled", "Schedule cancelled"
        PUBLISHED = "published", "Published"
        ROLLED_BACK = "rolled_back", "Rolled back"
        FAILED = "failed", "Failed"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # Kept when the account is deleted; "system" for scheduled work.
    actor_name = models.CharField("who", max_length=150)
    action = models.CharField(max_length=16, choices=Action.choices, db_index=True)
    object_type = models.CharField("what", max_length=32, db_index=True)
    object_key = models.CharField("key", max_length=120, blank=True)
    change_set = models.ForeignKey(
        ChangeSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit"
    )
    revision_number = models.PositiveIntegerField("revision", null=True, blank=True)
    message = models.CharField("details", max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}"


class Schedule(models.Model):
    """A change set's publication (or its undoing) at a given time, run once by whichever
    process finds it due first (`schedules_publish_due`)."""

    class Action(models.TextChoices):
        PUBLISH = "publish", "Publish"
        REVERT = "revert", "Undo"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    change_set = models.ForeignKey(ChangeSet, on_delete=models.CASCADE, related_name="schedules")
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.PUBLISH)
    due_at = models.DateTimeField("when")
    # The time zone the marketer chose, to show the time as they meant it.
    time_zone = models.CharField(max_length=64, default="UTC")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    revision = models.ForeignKey(
        "personalization.Revision", on_delete=models.SET_NULL, null=True, blank=True
    )
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"], name="schedule_due")]

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()} #{self.change_set_id} at {self.due_at:%Y-%m-%d %H:%M} UTC"
        )

    @property
    def local_due_at(self) -> datetime:
        return self.due_at.astimezone(ZoneInfo(self.time_zone))


def _webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Webhook(models.Model):
    """An endpoint told of every publication, signed with its secret (HMAC-SHA256)."""

    name = models.CharField(max_length=100)
    url = models.URLField(
        "URL",
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Receives a POST with a JSON body for every published revision.",
    )
    secret = models.CharField(
        max_length=100,
        default=_webhook_secret,
        help_text="Signs each delivery (X-Tactful-Signature); give it to the receiver.",
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One POST of one publication to one webhook, retried with backoff until it succeeds."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=64, default="revision.published")
    revision_number = models.PositiveIntegerField("revision")
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"r{self.revision_number} → {self.webhook}"
