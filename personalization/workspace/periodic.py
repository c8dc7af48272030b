"""The workspace's periodic work: due schedules, then webhook deliveries due for a (re)try.

Call `workspace_due_work()` every few seconds from each process (it is cheap when nothing is due:
two indexed queries) or from cron with `manage.py publish_due`; several callers at once do each
piece of work once.
"""

from dataclasses import dataclass
from datetime import datetime

from personalization.models import Schedule
from personalization.workspace.schedules import schedules_publish_due
from personalization.workspace.webhooks import webhook_deliveries_send


@dataclass(frozen=True, slots=True)
class DueWork:
    schedules: list[Schedule]
    delivered: int


def workspace_due_work(*, now: datetime | None = None) -> DueWork:
    """Run what is due at `now` (default: now): schedules first, so their webhooks go too."""
    ran = schedules_publish_due(now=now)
    return DueWork(schedules=ran, delivered=webhook_deliveries_send(now=now))
