"""`manage.py purge_expired`: remove whatever is past its retention period (schedule it daily)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from consent.services import retention_purge


class Command(BaseCommand):
    help = (
        "Expire lapsed consent grants (as expire events), delete preferences and consent proof "
        "past their retention, and let other apps purge theirs (decision history, signals)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = retention_purge()
        for section, count in sorted(report.counts.items()):
            self.stdout.write(f"{section}: {count}")
        if report.failed:
            raise CommandError(f"Could not purge: {', '.join(report.failed)}.")
