"""Create the local admin account for the embedded mode and print how to log in."""

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

USERNAME = "admin"


class Command(BaseCommand):
    help = "Create a superuser 'admin' with a random password (development only) and print it."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Refusing outside development: use createsuperuser in production.")
        password_file = Path(settings.VAR_DIR) / "admin-password.txt"
        user_model = get_user_model()
        user = user_model.objects.filter(username=USERNAME).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user_model.objects.create_superuser(USERNAME, "admin@localhost", password)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        elif password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = "(unchanged; reset it with: .venv/bin/python manage.py changepassword admin)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin (/admin/ on the server below): user {USERNAME}, password {password}"
            )
        )
