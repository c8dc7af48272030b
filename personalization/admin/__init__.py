"""The marketer's admin, one module per screen; importing them registers the model admins."""

from personalization.admin import (  # noqa: F401
    audit,
    catalogue,
    changes,
    experiments,
    placements,
    revisions,
    segments,
    webhooks,
)
from personalization.outcomes import admin as outcomes_admin  # noqa: F401  (goals, Results)
