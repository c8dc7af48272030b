"""App configuration for personalization: segments, placements, rules, experiments, decisions."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PersonalizationConfig(AppConfig):
    name = "personalization"
    verbose_name = "Personalization"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connects the reactions to consent changes, data requests and taxonomy edits; the edge
        # tier's admin (edge keys) lives in its own package.
        from personalization import receivers  # noqa: F401
        from personalization.edge import admin  # noqa: F401
        from personalization.outcomes import receivers as outcomes_receivers  # noqa: F401
        from personalization.workspace.permissions import workspace_permissions_assign

        post_migrate.connect(
            workspace_permissions_assign, dispatch_uid="personalization.workspace_permissions"
        )
