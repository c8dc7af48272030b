"""Fixtures for the personalization tests: factories, the demo storefront, live sockets."""

import importlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.layers import get_channel_layer
from django.apps import apps
from django.core.management import call_command

from consent.models import Purpose
from personalization.signals.taxonomy import event_taxonomy_forget
from personalization.snapshot import snapshot_reset
from tests.personalization import factories


@pytest.fixture
def segment_factory(db: Any) -> type[factories.SegmentFactory]:
    return factories.SegmentFactory


@pytest.fixture
def placement_factory(db: Any) -> type[factories.PlacementFactory]:
    return factories.PlacementFactory


@pytest.fixture
def variant_factory(db: Any) -> type[factories.VariantFactory]:
    return factories.VariantFactory


@pytest.fixture
def rule_factory(db: Any) -> type[factories.RuleFactory]:
    return factories.RuleFactory


@pytest.fixture
def demo(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The seed_demo storefront, published and active in this process."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)


@pytest.fixture
async def live_process() -> AsyncIterator[None]:
    """For tests that open decision sockets in this process: what the process keeps between
    requests (the snapshot async code saw, the event taxonomy) starts afresh, and the channel
    layer's queues and connections go with the test's event loop."""
    snapshot_reset()
    event_taxonomy_forget()
    yield
    snapshot_reset()
    event_taxonomy_forget()
    await get_channel_layer().flush()


@pytest.fixture
def demo_live() -> None:
    """The demo on committed data (sockets read the database from other threads). The built-in
    purposes and interests first: an earlier transactional test may have flushed them."""
    seed = importlib.import_module("consent.migrations.0002_seed_purposes")
    for spec in seed.PURPOSES:
        Purpose.objects.get_or_create(key=spec["key"], defaults=spec)
    importlib.import_module("consent.migrations.0004_seed_notice_interests_groups").seed(apps, None)
    call_command("seed_demo", verbosity=0)


@pytest.fixture
def staff(db: Any) -> Any:
    """Log in a new staff member of `group` (Marketers, Privacy officers) as a test client."""
    from django.contrib.auth.models import Group
    from django.test import Client

    from tests.consent.factories import UserFactory

    def login(group: str, **fields: Any) -> Client:
        user: Any = UserFactory(is_staff=True, **fields)
        user.groups.add(Group.objects.get(name=group))
        client = Client()
        client.force_login(user)
        client.user = user  # type: ignore[attr-defined]
        return client

    return login
