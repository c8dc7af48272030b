"""Fixtures for the SDK's examples: the demo on committed data, for a live Tactful."""

from tests.personalization.conftest import demo_live

__all__ = ["demo_live"]
