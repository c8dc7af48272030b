"""Django app configuration for consent: purposes, subjects and the consent event log."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        from consent.permissions import group_permissions_assign

        # Every app's post_migrate: personalization's permissions exist only after its own.
        post_migrate.connect(group_permissions_assign, dispatch_uid="consent.group_permissions")
