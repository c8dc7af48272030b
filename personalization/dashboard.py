"""The marketer's dashboard (admin): outcome shares per placement, and the revision history."""

import time
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from personalization.history import revision_history
from personalization.models import Placement
from personalization.snapshot import snapshot_current
from personalization.stats.selectors import OUTCOMES, Slice, outcome_report

CHART_WIDTH = 360
CHART_HEIGHT = 100
OUTCOME_LABELS = {
    "personalized": "Personalized",
    "default": "Default",
    "consent_required": "Consent required",
    "error": "Error",
}


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    outcome: str
    title: str


def chart_bars(slices: tuple[Slice, ...], *, k: int) -> list[Rect]:
    """Stacked bars, one per slice (100 % high); a suppressed slice is one grey bar."""
    step = CHART_WIDTH / max(len(slices), 1)
    width = max(step - 2, 1)
    rects = []
    for index, item in enumerate(slices):
        x = round(index * step, 1)
        when = item.start.strftime("%H:%M")
        if item.shares is None:
            title = f"{when}: fewer than {k} visitors, not shown"
            rects.append(Rect(x, 0, width, CHART_HEIGHT, "suppressed", title))
            continue
        y = 0.0
        for outcome in OUTCOMES:
            share = item.shares[outcome.value]
            if not share:
                continue
            height = CHART_HEIGHT * share / 100
            title = f"{when}: {OUTCOME_LABELS[outcome.value]} {share:g} % of {item.total}"
            rects.append(Rect(x, round(y, 2), width, round(height, 2), outcome.value, title))
            y += height
    return rects


def _window_row(name: str, label: str, item: Slice) -> dict[str, Any]:
    shares = item.shares
    return {
        "name": name,
        "label": label,
        "total": item.total,
        "shares": None if shares is None else [shares[outcome.value] for outcome in OUTCOMES],
    }


def dashboard_view(request: HttpRequest) -> HttpResponse:
    """Admin page (wrapped by `admin_site.admin_view`): needs permission to view placements."""
    if not request.user.has_perm("personalization.view_placement"):
        raise PermissionDenied
    report = outcome_report(placements=snapshot_current().placements.keys(), now=time.time())
    placements = []
    for item in report.placements:
        hour_bars = chart_bars(item.hour_slices, k=report.k)
        day_bars = chart_bars(item.day_slices, k=report.k)
        placements.append(
            {
                "key": item.placement,
                "windows": [
                    _window_row("hour", "Last hour", item.hour),
                    _window_row("day", "Last 24 hours", item.day),
                ],
                "charts": [
                    {"label": "Last hour, 5-minute bars", "bars": hour_bars},
                    {"label": "Last 24 hours, hourly bars", "bars": day_bars},
                ],
            }
        )
    context = {
        **admin.site.each_context(request),
        "opts": Placement._meta,
        "title": "Personalization dashboard",
        "report": report,
        "placements": placements,
        "outcomes": [(outcome.value, OUTCOME_LABELS[outcome.value]) for outcome in OUTCOMES],
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "revisions": revision_history(limit=20),
    }
    return TemplateResponse(request, "admin/personalization/dashboard.html", context)
