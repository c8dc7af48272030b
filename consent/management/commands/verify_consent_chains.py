"""`manage.py verify_consent_chains`: recompute every subject's consent hash chain."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from consent.selectors import chains_verify_all


class Command(BaseCommand):
    help = (
        "Verify that no consent event was altered, removed, inserted or reordered, and that no "
        "published notice text changed. Exits non-zero when a chain is broken."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        verified = events = 0
        broken = []
        for report in chains_verify_all():
            if report.ok:
                verified += 1
                events += report.length
            else:
                broken.append(report)
                self.stderr.write(
                    f"BROKEN {report.subject_id}: at event #{report.broken_at}: {report.problem}"
                )
        self.stdout.write(f"{verified} chains verified ({events} events); {len(broken)} broken.")
        if broken:
            raise CommandError(f"{len(broken)} consent chain(s) are broken.")
