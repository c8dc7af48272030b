"""Print an edge key for the local edge worker (`make run`), kept in VAR_DIR; remade if revoked."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from personalization.edge.selectors import edge_key_check
from personalization.edge.services import edge_key_create

NAME = "local-workerd"


class Command(BaseCommand):
    help = (
        "Keep an active edge key for the local edge worker in VAR_DIR/edge-key.txt (development)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Refusing outside development: use create_edge_key in production.")
        key_file = Path(settings.VAR_DIR) / "edge-key.txt"
        key = key_file.read_text().strip() if key_file.exists() else ""
        if not edge_key_check(key):
            _, key = edge_key_create(name=NAME)
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.touch(mode=0o600)
            key_file.write_text(key + "\n")
        self.stdout.write(key)
