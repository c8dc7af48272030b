"""Websocket URLs of personalization."""

from django.urls import path

from personalization.consumers import DecisionConsumer

websocket_urlpatterns = [
    path("ws/v1/decisions", DecisionConsumer.as_asgi(), name="ws-decisions"),
]
