"""The embedded mode's channel layer: Channels' in-memory layer, made O(N) for a group of N."""

import contextlib
import time
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

# How often expired messages and group memberships are swept out.
SWEEP_SECONDS = 1.0


class AmortizedInMemoryChannelLayer(InMemoryChannelLayer):
    """`InMemoryChannelLayer` sweeps every channel and group on every receive, and starts a task
    per member on a group send, so a publish that wakes 1,000 sockets costs O(N²) and 1,000
    tasks (most of a second). This one sweeps at most once a second and sends in a plain loop;
    messages, capacity and expiry behave as before."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._next_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        super()._clean_expired()

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            # A member whose queue is full misses this one, as with the base layer.
            with contextlib.suppress(ChannelFull):
                await self.send(channel, message)
