"""`manage.py verify_consent_chains`: verify every subject's consent chain and projection."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from consent.selectors import chains_verify_all
from consent.services import Reseal, chains_reseal


class Command(BaseCommand):
    help = (
        "Verify that no consent event was altered, removed, inserted or reordered (hashes, and "
        "seals under TACTFUL_CHAIN_KEY), that no chain lost its last events or all of them, "
        "that no published notice text changed, and that each subject's current consent state "
        "is what its events say. Exits non-zero when anything fails."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reseal",
            action="store_true",
            help="Then seal every chain that verifies again under the current TACTFUL_CHAIN_KEY "
            "(after a key rotation, before its old key leaves TACTFUL_CHAIN_KEY_FALLBACKS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verified = events = 0
        failed = []
        for report in chains_verify_all():
            if not report.ok:
                failed.append(report)
                for problem in report.problems:
                    self.stderr.write(f"FAILED {report.subject_id}: {problem}.")
            elif report.length:
                verified += 1
                events += report.length
        self.stdout.write(f"{verified} chains verified ({events} events); {len(failed)} failed.")
        if options["reseal"]:
            counts = chains_reseal()
            self.stdout.write(
                f"{counts[Reseal.RESEALED]} resealed under the current key, "
                f"{counts[Reseal.CURRENT]} already were; "
                f"{counts[Reseal.REFUSED]} not resealed (they fail verification)."
            )
        if failed:
            raise CommandError(f"{len(failed)} subject(s) failed verification.")
