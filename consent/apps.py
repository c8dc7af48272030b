"""Django app configuration for consent: purposes, subjects and the consent event log."""

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"
