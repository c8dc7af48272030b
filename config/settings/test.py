"""Test settings: the base settings with fast hashing and no dependence on a local .env."""

from .base import *  # noqa: F403
from .base import TACTFUL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TACTFUL["REVISION_CHECK_SECONDS"] = 3600.0
# Static files come from the apps' finders in tests; nothing is collected.
STATIC_ROOT = None
