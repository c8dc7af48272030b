"""Consent test fixtures: the factories, a subject, and a channel layer that records."""

from collections.abc import Callable
from typing import Any

import pytest

from consent.models import Subject
from consent.selectors import subject_group_name
from tests.consent.factories import (
    NoticeVersionFactory,
    PreferenceKeyFactory,
    PreferenceOptionFactory,
    PurposeFactory,
    SubjectFactory,
    UserFactory,
)


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
def notice_factory(db: None) -> type[NoticeVersionFactory]:
    return NoticeVersionFactory


@pytest.fixture
def preference_key_factory(db: None) -> type[PreferenceKeyFactory]:
    return PreferenceKeyFactory


@pytest.fixture
def preference_option_factory(db: None) -> type[PreferenceOptionFactory]:
    return PreferenceOptionFactory


@pytest.fixture
def subject(subject_factory: type[SubjectFactory]) -> Subject:
    return subject_factory.create()


class RecordingLayer:
    """A channel layer that remembers what was sent, to prove what was not."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, message))

    def types_for(self, public_id: str) -> list[str]:
        group = subject_group_name(public_id)
        return [message["type"] for sent_to, message in self.sent if sent_to == group]


@pytest.fixture
def recording_layer(monkeypatch: pytest.MonkeyPatch) -> RecordingLayer:
    layer = RecordingLayer()
    monkeypatch.setattr("config.broadcast.get_channel_layer", lambda: layer)
    return layer


@pytest.fixture
def connect_receiver() -> Any:
    """Connect a receiver to a consent signal for one test only."""
    connected: list[tuple[Any, Callable[..., Any]]] = []

    def connect(signal: Any, receiver: Callable[..., Any]) -> None:
        signal.connect(receiver, weak=False)
        connected.append((signal, receiver))

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver)
