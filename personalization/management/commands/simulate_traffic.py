"""Simulate measured visitors for the demo, so that the admin's Results pages fill in."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from personalization.models import Placement
from personalization.outcomes.demo import demo_goals_seed, traffic_simulate


class Command(BaseCommand):
    help = (
        "Simulate visitors who granted measurement over the last days: decided on the current "
        "revision, exposed, and buying more where the demo's variants help (free shipping "
        "+20 %, a personalized hero +15 %). Demo data only: run it against the demo database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--visitors", type=int, default=2000, help="Visitors per day.")
        parser.add_argument("--days", type=int, default=7, help="Days back from now.")
        parser.add_argument("--seed", type=int, default=None, help="For a repeatable run.")

    def handle(self, *args: Any, **options: Any) -> None:
        visitors, days = options["visitors"], options["days"]
        if not 1 <= visitors <= 100_000 or not 1 <= days <= 7:
            raise CommandError("Use 1 to 100,000 visitors a day, over 1 to 7 days.")
        demo_goals_seed()
        result = traffic_simulate(visitors_per_day=visitors, days=days, seed=options["seed"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Simulated {result.visitors} visitors at r{result.revision}: "
                f"{result.purchases} purchases. See Admin → Goals → Results."
            )
        )
        if not Placement.objects.filter(holdout_percentage__gt=0).exists():
            self.stdout.write(
                "No placement has a holdout yet: set one (e.g. home-hero, 10 %) in the admin "
                "and run this again to see what personalization is worth."
            )
