"""URLs of the decision APIs."""

from django.urls import path

from personalization.apis import decisions, ofrep

urlpatterns = [
    path("api/v1/decide", decisions.DecideApi.as_view(), name="decide"),
    path("ofrep/v1/evaluate/flags", ofrep.OfrepBulkApi.as_view(), name="ofrep-flags"),
    path("ofrep/v1/evaluate/flags/<str:key>", ofrep.OfrepFlagApi.as_view(), name="ofrep-flag"),
]
