"""The edge key's format: `tek_<prefix>_<secret>`, made at random and stored as a SHA-256 digest.

The secret is 256 random bits, so a plain digest cannot be reversed or guessed (no slow
password hash is needed); the prefix finds the row without revealing the key.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_SCHEME = "tek"
_KEY = re.compile(r"tek_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})")
_PREFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just made: `key` is given to the edge once; `prefix` and `digest` are stored."""

    key: str
    prefix: str
    digest: str


def edge_key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def edge_key_make() -> NewKey:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(12))
    key = f"{_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(key=key, prefix=prefix, digest=edge_key_digest(key))


def edge_key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key; None for anything else."""
    match = _KEY.fullmatch(key)
    return match.group(1) if match else None


def edge_key_matches(key: str, digest: str) -> bool:
    return hmac.compare_digest(edge_key_digest(key), digest)
