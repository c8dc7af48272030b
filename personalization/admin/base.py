"""What every configuration admin shares: writes through the services, labelled inline inputs."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from personalization import services


class PublishingAdmin(admin.ModelAdmin[Any]):
    """Every save or delete in the admin is published as a new revision by the services."""

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        verb = "Changed" if change else "Added"
        services.revision_publish(
            author=request.user,  # type: ignore[arg-type]
            message=f"{verb} {self.opts.verbose_name} {form.instance}",
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.config_delete(instance=obj, author=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        names = ", ".join(str(obj) for obj in queryset)
        author = request.user
        with services.config_batch(author=author, message=f"Deleted {names}"):  # type: ignore[arg-type]
            for obj in queryset:
                services.config_delete(instance=obj, author=author)  # type: ignore[arg-type]


class LabelledInlineFormSet(BaseInlineFormSet[Any, Any, Any]):
    """A tabular inline's inputs have only a column header; give each an accessible name."""

    row_noun = "row"

    def add_fields(self, form: Any, index: Any) -> None:
        super().add_fields(form, index)
        where = f"new {self.row_noun}" if index is None else f"{self.row_noun} {index + 1}"
        for name, field in form.fields.items():
            label = "Delete" if name == "DELETE" else (field.label or name.replace("_", " "))
            # The admin wraps related fields' widgets (add/change links): label the select.
            widget = getattr(field.widget, "widget", field.widget)
            widget.attrs.setdefault("aria-label", f"{str(label).capitalize()}, {where}")
