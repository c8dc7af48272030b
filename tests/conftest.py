"""Project-wide pytest fixtures."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_snapshot() -> Iterator[None]:
    # The decision snapshot is process-wide; each test starts from its own database state.
    from personalization.snapshot import snapshot_reset

    snapshot_reset()
    yield
    snapshot_reset()
