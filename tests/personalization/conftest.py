"""Fixtures for the personalization tests: factories and the demo storefront."""

from typing import Any

import pytest
from django.core.management import call_command

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
