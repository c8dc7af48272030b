"""Errors of the personalization app, each a 4xx in the API's one error shape."""

from collections.abc import Sequence

from rest_framework import status

from config.api import DomainError


class PersonalizationError(DomainError):
    pass


class UnknownPlacement(PersonalizationError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "unknown_placement"

    def __init__(self, keys: Sequence[str]) -> None:
        super().__init__(
            f"Unknown placement: {', '.join(keys)}.", details={"placements": list(keys)}
        )
        self.keys = list(keys)
