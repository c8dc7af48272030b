"""Experiments: arms, weights and coverage of a split test running in a placement's rule."""

from django.contrib import admin

from personalization.admin.base import LabelledInlineFormSet, PublishingAdmin
from personalization.models import Experiment, ExperimentArm


class ExperimentArmInline(admin.TabularInline[ExperimentArm, Experiment]):
    model = ExperimentArm
    formset = LabelledInlineFormSet
    extra = 2
    fields = ["order", "variant", "weight"]


@admin.register(Experiment)
class ExperimentAdmin(PublishingAdmin):
    list_display = ["key", "name", "placement", "status", "coverage", "required_purpose"]
    list_filter = ["status"]
    search_fields = ["key", "name"]
    inlines = [ExperimentArmInline]
