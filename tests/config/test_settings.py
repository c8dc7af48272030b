"""Settings: production refuses unsafe defaults and passes Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-0123456789",
    "DJANGO_ALLOWED_HOSTS": "tactful.example.com",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings.base", **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings__production_environment__check_deploy_is_clean(tmp_path):
    # When Django's deployment checks run with a production environment
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    # Then there is nothing to warn about
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_settings__production_with_development_key__refuses_to_start():
    # When debug is off but the secret key is the development one
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": settings.DEV_SECRET_KEY}
    result = manage("check", **env)
    # Then it refuses with a clear message
    assert result.returncode != 0
    assert "development key" in result.stderr


def test_settings__debug_on_public_host__refuses_to_start():
    # When debug is on for a public host name
    result = manage("check", DJANGO_DEBUG="true", DJANGO_ALLOWED_HOSTS="tactful.example.com")
    # Then
    assert result.returncode != 0
    assert "public host" in result.stderr


def test_settings__services__follow_the_environment_and_are_reachable(db):
    # Given the environment the suite runs in (embedded, or DATABASE_URL + REDIS_URL in CI)
    from django.core.cache import cache
    from django.db import connection

    # When the cache is used
    cache.set("settings-probe", 1)
    # Then each service is the one configured, and reachable (an unreachable one fails here)
    assert cache.get("settings-probe") == 1
    if os.environ.get("REDIS_URL"):
        assert str(settings.CACHES["default"]["BACKEND"]).endswith("RedisCache")
        assert str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).startswith("channels_redis")
    else:
        assert str(settings.CACHES["default"]["BACKEND"]).endswith("LocMemCache")
        assert str(settings.CHANNEL_LAYERS["default"]["BACKEND"]).endswith("InMemoryChannelLayer")
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


def test_settings__samesite_none_without_secure_cookie__refuses_to_start():
    # When a cross-site cookie is asked for without the Secure flag browsers require for it
    result = manage("check", TACTFUL_SUBJECT_COOKIE_SAMESITE="None", TACTFUL_SECURE_COOKIES="false")
    # Then it refuses, saying why
    assert result.returncode != 0
    assert "SameSite=None" in result.stderr


def test_settings__cors_origin_without_scheme__check_fails():
    # When an allowed origin is not an origin (django-cors-headers' own check)
    result = manage("check", TACTFUL_CORS_ALLOWED_ORIGINS="shop.example.com")
    # Then the check says so
    assert result.returncode != 0
    assert "shop.example.com" in result.stdout + result.stderr
