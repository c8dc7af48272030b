"""Fixtures for the observability tests: the demo storefront, log lines as production prints."""

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from config.logging import JsonFormatter, RepeatFilter, RequestIdFilter


@pytest.fixture
def demo(db: Any, django_capture_on_commit_callbacks: Any) -> None:
    """The seed_demo storefront, published and active in this process."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)


class LogLines:
    """What the production console handler would print, one parsed JSON object a line."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def entries(self) -> list[dict[str, object]]:
        import orjson

        return [orjson.loads(line) for line in self.text.splitlines() if line]


@pytest.fixture
def json_logs() -> Iterator[LogLines]:
    """The root logger also writes through the production formatter and filters, at INFO."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RepeatFilter(seconds=10))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield LogLines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
