"""Fixtures for the contract tests: the demo storefront."""

from tests.observability.conftest import demo

__all__ = ["demo"]
