"""The outcomes admin: goals, report API keys, and the Results pages of experiments and
placements (tables and server-drawn charts)."""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from personalization.models import Experiment, Placement
from personalization.outcomes.charts import (
    difference,
    figure,
    lift_chart,
    percent,
    time_chart,
)
from personalization.outcomes.models import Goal, ReportApiKey
from personalization.outcomes.permissions import results_permitted
from personalization.outcomes.reports import Report, experiment_report, placement_report
from personalization.outcomes.services import (
    outcomes_refresh,
    report_key_create,
    report_keys_revoke,
)


def _goal_rows(report: Report) -> list[dict[str, Any]]:
    """Each section's goals with their charts and formatted figures, for the template."""
    sections = []
    for section in report.sections:
        goals = []
        for result in section.goals:
            rows = []
            for group in result.groups:
                comparison, sequential = group.comparison, group.sequential
                rows.append(
                    {
                        "group": group,
                        "estimate": group.estimate
                        and {
                            "value": figure(group.estimate.estimate, binary=result.binary),
                            "low": figure(group.estimate.low, binary=result.binary),
                            "high": figure(group.estimate.high, binary=result.binary),
                        },
                        "absolute": comparison
                        and {
                            "value": difference(comparison.absolute.estimate, binary=result.binary),
                            "low": difference(comparison.absolute.low, binary=result.binary),
                            "high": difference(comparison.absolute.high, binary=result.binary),
                        },
                        "relative": comparison
                        and comparison.relative
                        and {
                            "value": percent(comparison.relative.estimate),
                            "low": percent(comparison.relative.low),
                            "high": percent(comparison.relative.high),
                        },
                        "sequential": sequential
                        and {
                            "p_value": sequential.p_value,
                            "low": percent(sequential.interval.low),
                            "high": percent(sequential.interval.high),
                        },
                        "loss": comparison
                        and difference(comparison.expected_loss, binary=result.binary).lstrip("+"),
                        "comparison": comparison,
                    }
                )
            needed = result.visitors_needed
            so_far = section.visitors_so_far
            goals.append(
                {
                    "result": result,
                    "rows": rows,
                    "time_chart": time_chart(result),
                    "lift_chart": lift_chart(result),
                    "progress": min(100, round(100 * so_far / needed))
                    if needed and so_far is not None
                    else None,
                }
            )
        sections.append({"section": section, "goals": goals})
    return sections


def _render(request: HttpRequest, report: Report, title: str, current: bool) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "opts": Goal._meta,
        "title": title,
        "report": report,
        "sections": _goal_rows(report),
        "current": current,
        "window_hours": report.attribution_seconds / 3600,
    }
    return TemplateResponse(request, "admin/personalization/outcomes/results.html", context)


def _check(request: HttpRequest) -> None:
    if not results_permitted(request.user):
        raise PermissionDenied


def results_index_view(request: HttpRequest) -> HttpResponse:
    _check(request)
    context = {
        **admin.site.each_context(request),
        "opts": Goal._meta,
        "title": "Results",
        "experiments": Experiment.objects.select_related("placement").order_by("status", "key"),
        "placements": Placement.objects.order_by("-holdout_percentage", "key"),
        "goals": Goal.objects.select_related("event_type"),
    }
    return TemplateResponse(request, "admin/personalization/outcomes/index.html", context)


def experiment_results_view(request: HttpRequest, key: str) -> HttpResponse:
    _check(request)
    experiment = get_object_or_404(Experiment, key=key)
    current = outcomes_refresh()
    report = experiment_report(experiment=experiment)
    return _render(request, report, f"Results of the experiment {experiment.name}", current)


def placement_results_view(request: HttpRequest, key: str) -> HttpResponse:
    _check(request)
    placement = get_object_or_404(Placement, key=key)
    current = outcomes_refresh()
    report = placement_report(placement=placement)
    return _render(request, report, f"Results of the placement {placement.name}", current)


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin[Goal]):
    list_display = ["key", "name", "event_type", "metric", "higher_is_better", "guardrail"]
    list_filter = ["metric", "guardrail"]
    search_fields = ["key", "name"]
    prepopulated_fields = {"key": ["name"]}

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("results/", wrap(results_index_view), name="personalization_results"),
            path(
                "results/experiments/<slug:key>/",
                wrap(experiment_results_view),
                name="personalization_experiment_results",
            ),
            path(
                "results/placements/<slug:key>/",
                wrap(placement_results_view),
                name="personalization_placement_results",
            ),
            *super().get_urls(),
        ]


@admin.register(ReportApiKey)
class ReportApiKeyAdmin(admin.ModelAdmin[ReportApiKey]):
    list_display = ["name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: ReportApiKey | None = None) -> bool:
        # A key is made and revoked, never edited.
        return False

    def save_model(
        self, request: HttpRequest, obj: ReportApiKey, form: ModelForm[Any], change: bool
    ) -> None:
        report_key_create(key=obj, author=request.user)

    def response_add(
        self, request: HttpRequest, obj: ReportApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        # Shown once, on this page only: never in a message (kept in a cookie or the session).
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Report API key created",
            "key": obj,
            "raw": obj.raw_key,
        }
        return TemplateResponse(
            request, "admin/personalization/outcomes/report_key_created.html", context
        )

    @admin.action(description="Revoke the selected keys", permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ReportApiKey]) -> None:
        revoked = report_keys_revoke(keys=queryset)
        self.message_user(request, f"Revoked {revoked} key(s).", messages.SUCCESS)
