"""Reads of the edge tier: which edge key a request presents, checked through the cache."""

import logging

from django.core.cache import cache
from django.http import HttpRequest

from personalization.edge.keys import edge_key_matches, edge_key_prefix
from personalization.edge.models import EdgeKey

logger = logging.getLogger(__name__)

_CACHE_KEY = "edge:v1:key:{}"
# A key is looked up in the database at most this often per prefix; a revocation deletes the
# cached entry, so this bounds only how long a revocation could go unseen if that delete failed.
CACHE_SECONDS = 60
_REVOKED = ""


def edge_key_cache_key(prefix: str) -> str:
    return _CACHE_KEY.format(prefix)


def edge_key_check(key: str) -> bool:
    """Whether `key` is an active edge key."""
    prefix = edge_key_prefix(key)
    if prefix is None:
        return False
    try:
        digest = cache.get(edge_key_cache_key(prefix))
    except Exception:
        logger.warning("Edge key cache unavailable; reading the database.", exc_info=True)
        digest = None
    if digest is None:
        row = EdgeKey.objects.filter(prefix=prefix, revoked_at__isnull=True).first()
        digest = row.digest if row is not None else _REVOKED
        try:
            cache.set(edge_key_cache_key(prefix), digest, CACHE_SECONDS)
        except Exception:
            logger.warning("Edge key cache unavailable; the key is not cached.", exc_info=True)
    return digest != _REVOKED and edge_key_matches(key, digest)


def edge_key_from_request(request: HttpRequest) -> str | None:
    """The bearer key of `Authorization: Bearer <key>`, or None."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" and key.strip() else None
