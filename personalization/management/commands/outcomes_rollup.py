"""`manage.py outcomes_rollup`: move outcome aggregates from the short-lived store into the
database (schedule it every few minutes; reading a report does it too)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from personalization.outcomes.backends.base import OutcomeStoreError
from personalization.outcomes.services import outcomes_rollup


class Command(BaseCommand):
    help = (
        "Roll the pending outcome aggregates (visitors, conversions per cohort, goal and day) "
        "up from Redis or this process into the database, where results are read."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = outcomes_rollup()
        except (OutcomeStoreError, OSError) as exc:
            raise CommandError(f"The outcome store cannot be read: {exc}") from exc
        self.stdout.write(f"aggregate rows: {rows}")
