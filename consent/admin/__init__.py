"""The privacy officer's admin: purposes, notices, preferences, and read-only consent proof."""

from consent.admin import notices, preferences, purposes, subjects

__all__ = ["notices", "preferences", "purposes", "subjects"]
