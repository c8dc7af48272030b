"""URLs of the decision APIs."""

from django.urls import path

from personalization import apis

urlpatterns = [
    path("api/v1/decide", apis.DecideApi.as_view(), name="decide"),
    path("ofrep/v1/evaluate/flags", apis.OfrepBulkApi.as_view(), name="ofrep-flags"),
    path("ofrep/v1/evaluate/flags/<str:key>", apis.OfrepFlagApi.as_view(), name="ofrep-flag"),
]
