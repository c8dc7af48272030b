"""Consent URLs: the consent API."""

from django.urls import path

from consent.apis import ConsentApi

urlpatterns = [
    path("api/v1/consent", ConsentApi.as_view(), name="consent"),
]
