"""Fixtures of the edge tests: a live origin with the demo, and an edge worker in front of it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edge.live import Origin, Worker, live_origin, live_worker


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origin]:
    with live_origin(tmp_path_factory.mktemp("origin")) as started:
        yield started


@pytest.fixture(scope="module")
def worker(origin: Origin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    log = Path(tmp_path_factory.mktemp("worker")) / "workerd.log"
    with live_worker(origin.base, origin.edge_key, log) as started:
        yield started
