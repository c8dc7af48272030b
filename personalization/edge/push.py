"""The push of each new revision to edges: the process listener announces, each stream waits.

The process listener (`personalization.lifespan`) calls `edge_revision_announce` whenever it
swaps in a revision (a broadcast, or its periodic check); every edge stream open in the process
(`edge_revisions_follow`, served as server-sent events) wakes up and sends the new number. The
edge then fetches the snapshot with its ETag. Streams live on the server's event loop, as the
listener does.
"""

import asyncio
from collections.abc import AsyncIterator


class _Latest:
    def __init__(self) -> None:
        self.revision = 0
        # Replaced at each announcement: waiting on it is waiting for the next revision.
        self.changed: asyncio.Event | None = None


_latest = _Latest()


def edge_revision_announce(revision: int) -> None:
    """From the event loop: wake every edge stream of this process if `revision` is new."""
    if revision <= _latest.revision:
        return
    _latest.revision = revision
    changed, _latest.changed = _latest.changed, None
    if changed is not None:
        changed.set()


async def edge_revisions_follow(*, since: int, heartbeat: float) -> AsyncIterator[int | None]:
    """Yield each revision newer than `since` as it is announced, and None after `heartbeat`
    seconds without one (a stream sends a comment then, so proxies keep it open)."""
    sent = since
    while True:
        if _latest.revision > sent:
            sent = _latest.revision
            yield sent
            continue
        if _latest.changed is None:
            _latest.changed = asyncio.Event()
        try:
            await asyncio.wait_for(_latest.changed.wait(), heartbeat)
        except TimeoutError:
            yield None
