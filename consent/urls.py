"""Consent URLs: the consent, preference and subject APIs, and the privacy center."""

from django.urls import path

from consent import edge_apis, views
from consent.apis import ConsentApi, PreferencesApi, SubjectEraseApi, SubjectExportApi

urlpatterns = [
    path("api/v1/consent", ConsentApi.as_view(), name="consent"),
    path("api/v1/consent/token", edge_apis.ConsentTokenApi.as_view(), name="consent-token"),
    path("api/v1/preferences", PreferencesApi.as_view(), name="preferences"),
    path("api/v1/subject/export", SubjectExportApi.as_view(), name="subject-export"),
    path("api/v1/subject", SubjectEraseApi.as_view(), name="subject"),
    path("privacy/", views.privacy_center, name="privacy-center"),
    path("privacy/consent", views.consent_choose, name="privacy-consent"),
    path("privacy/banner", views.banner_choose, name="privacy-banner"),
    path("privacy/gpc-reconsent", views.gpc_reconsent, name="privacy-gpc-reconsent"),
    path("privacy/preferences", views.preferences_save, name="privacy-preferences"),
    path("privacy/history", views.consent_history, name="privacy-history"),
    path("privacy/notice/<int:version>", views.notice_view, name="privacy-notice"),
    path("privacy/export.json", views.export_json, name="privacy-export"),
    path("privacy/erase", views.erase, name="privacy-erase"),
    path(".well-known/gpc.json", views.gpc_well_known, name="gpc-well-known"),
    path(".well-known/jwks.json", edge_apis.jwks_view, name="jwks"),
]
