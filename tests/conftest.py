"""Project-wide pytest fixtures."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache() -> Iterator[None]:
    # The shared cache, and the consent versions this process learnt alongside it.
    from consent.selectors import registry_drop_kept
    from consent.versions import consent_versions_forget

    cache.clear()
    consent_versions_forget()
    registry_drop_kept()
    yield
    cache.clear()
    consent_versions_forget()
    registry_drop_kept()


@pytest.fixture(autouse=True)
def _fresh_snapshot() -> Iterator[None]:
    # The decision snapshot is process-wide; each test starts from its own database state.
    from personalization.snapshot import snapshot_reset

    snapshot_reset()
    yield
    snapshot_reset()
