"""Writes of the edge tier: edge keys are created (shown once) and revoked (at once)."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.utils import timezone

from personalization.edge.keys import edge_key_make
from personalization.edge.models import EdgeKey
from personalization.edge.selectors import edge_key_cache_key


def edge_key_create(*, name: str, created_by: AbstractBaseUser | None = None) -> tuple[EdgeKey, str]:
    """A new active key named `name`, and the key itself, which is not stored anywhere."""
    made = edge_key_make()
    edge_key = EdgeKey.objects.create(
        name=name,
        prefix=made.prefix,
        digest=made.digest,
        created_by_id=getattr(created_by, "pk", None),
    )
    return edge_key, made.key


def edge_key_revoke(*, edge_key: EdgeKey) -> None:
    """Revoke `edge_key`: refused from the next request on, and its open streams are closed
    within a heartbeat."""
    if edge_key.revoked_at is None:
        edge_key.revoked_at = timezone.now()
        edge_key.save(update_fields=["revoked_at"])
    # Every process reads keys through the shared cache: forget the key there.
    cache.delete(edge_key_cache_key(edge_key.prefix))
