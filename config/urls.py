"""Root URL configuration: probes and metrics, admin, APIs, OpenAPI schema and the apps' pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config.docs import RedocDocsView, SwaggerDocsView
from config.health import healthz_view, readyz_view
from config.metrics import metrics_view

urlpatterns = [
    path("healthz", healthz_view, name="healthz"),
    path("readyz", readyz_view, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerDocsView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", RedocDocsView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("consent.urls")),
    path("", include("personalization.edge.urls")),
    path("", include("personalization.urls")),
]
