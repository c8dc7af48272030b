"""Create an edge key and print it (once: only its digest is stored)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from personalization.edge.services import edge_key_create


class Command(BaseCommand):
    help = (
        "Create an edge key for an edge worker (its EDGE_KEY) and print it; revoke it in the admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Which edge uses it, e.g. cloudflare-prod.")

    def handle(self, *args: Any, **options: Any) -> None:
        _, key = edge_key_create(name=options["name"])
        self.stdout.write(key)
