"""Consent test fixtures: the factories and a subject."""

from typing import Any

import pytest

from consent.models import Subject
from tests.consent.factories import PurposeFactory, SubjectFactory, UserFactory


@pytest.fixture
def purpose_factory(db: None) -> type[PurposeFactory]:
    return PurposeFactory


@pytest.fixture
def subject_factory(db: None) -> type[SubjectFactory]:
    return SubjectFactory


@pytest.fixture
def user_factory(db: None) -> type[UserFactory]:
    return UserFactory


@pytest.fixture
def subject(subject_factory: type[SubjectFactory]) -> Subject:
    return subject_factory.create()


class RecordingLayer:
    """A channel layer that remembers what was sent, to prove what was not."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, message))


@pytest.fixture
def recording_layer(monkeypatch: pytest.MonkeyPatch) -> RecordingLayer:
    layer = RecordingLayer()
    monkeypatch.setattr("consent.services.get_channel_layer", lambda: layer)
    return layer
