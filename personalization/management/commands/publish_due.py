"""Run the workspace's due work once: scheduled publications, then webhook (re)tries.

Exits non-zero when a due schedule failed (e.g. its items changed since it was approved).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from personalization.workspace.periodic import workspace_due_work


class Command(BaseCommand):
    help = (
        "Publish the change sets whose time has come (and undo those whose end has come), then "
        "retry webhook deliveries. Safe to run from several processes at once: each schedule "
        "runs exactly once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        work = workspace_due_work()
        ran = work.schedules
        for schedule in ran:
            outcome = (
                f"revision r{schedule.revision.number}"
                if schedule.revision
                else f"failed: {schedule.error}"
            )
            self.stdout.write(
                f"{schedule.get_action_display()} change set #{schedule.change_set_id}: {outcome}"
            )
        if work.delivered:
            self.stdout.write(f"Webhook deliveries sent: {work.delivered}.")
        if not ran and not work.delivered:
            self.stdout.write("Nothing due.")
        failed = [s for s in ran if s.revision is None]
        if failed:
            # Non-zero, so that a cron job's failure is noticed; nothing is retried by itself.
            raise CommandError(f"{len(failed)} scheduled change(s) could not be published.")
