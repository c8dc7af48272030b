"""Test settings: the base settings with fast hashing and no dependence on a local .env."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .base import *  # noqa: F403
from .base import TACTFUL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TACTFUL["REVISION_CHECK_SECONDS"] = 3600.0
# Static files come from the apps' finders in tests; nothing is collected.
STATIC_ROOT = None
# A consent token key of the run's own: tests run with DEBUG off, where none is generated.
TACTFUL["CONSENT_TOKEN_KEY"] = (
    Ed25519PrivateKey.generate()
    .private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    .decode()
)
