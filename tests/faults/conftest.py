"""Fixtures for the fault tests: the demo storefront."""

from tests.observability.conftest import demo

__all__ = ["demo"]
