"""URLs of personalization: the decision, OFREP and event APIs, and the demo storefront."""

from django.urls import path

from personalization import views
from personalization.apis import decisions, events, ofrep
from personalization.outcomes import apis as reports

urlpatterns = [
    path("api/v1/decide", decisions.DecideApi.as_view(), name="decide"),
    path("api/v1/events", events.EventsApi.as_view(), name="events"),
    path("ofrep/v1/evaluate/flags", ofrep.OfrepBulkApi.as_view(), name="ofrep-flags"),
    path("ofrep/v1/evaluate/flags/<str:key>", ofrep.OfrepFlagApi.as_view(), name="ofrep-flag"),
    path(
        "api/v1/reports/experiments/<str:key>",
        reports.ExperimentReportApi.as_view(),
        name="report-experiment",
    ),
    path(
        "api/v1/reports/placements/<str:key>",
        reports.PlacementReportApi.as_view(),
        name="report-placement",
    ),
    path("", views.StorefrontView.as_view(), name="storefront"),
]
