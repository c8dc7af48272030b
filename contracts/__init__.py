"""Fixtures every tier of Tactful is tested against."""
