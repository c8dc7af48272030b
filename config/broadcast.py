"""The one way Tactful sends on the channel layer: to a group, from sync or async code.

Sync code in a server process hands the send to the server's event loop (where the layer's
connections live) instead of opening a loop of its own; elsewhere (commands, tests) it sends at
once. A send either waits for the layer and raises on failure — for callers that must know,
such as consent changes, which are retried until delivered — or goes on in the background
with failures logged, for messages that only speed up what sockets would learn anyway.
"""

import asyncio
import concurrent.futures
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# How long a waiting sender gives the layer: a cut Redis fails fast, a hung one must not hold a
# request for longer.
SEND_TIMEOUT_SECONDS = 2.0


class _Server:
    loop: asyncio.AbstractEventLoop | None = None


_server = _Server()


def broadcast_loop_set(loop: asyncio.AbstractEventLoop | None) -> None:
    """The server's event loop, while the process listener runs on it (None when it stops)."""
    _server.loop = loop


async def abroadcast(group: str, message: dict[str, Any]) -> None:
    """Send `message` to every member of `group`; raises when the layer fails."""
    layer = get_channel_layer()
    if layer is not None:
        await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT_SECONDS)


def broadcast(group: str, message: dict[str, Any], *, wait: bool = True) -> None:
    """Send `message` to `group` from sync code.

    With `wait`, returns once the layer took it and raises if it did not; without, returns at
    once and logs a failure.
    """
    loop = _server.loop
    if loop is None or not loop.is_running():
        if wait:
            async_to_sync(abroadcast)(group, message)
            return
        try:
            async_to_sync(abroadcast)(group, message)
        except Exception:
            logger.warning("Could not send a %s message.", message.get("type"), exc_info=True)
        return
    future = asyncio.run_coroutine_threadsafe(abroadcast(group, message), loop)
    if wait:
        future.result(SEND_TIMEOUT_SECONDS + 1)
    else:
        future.add_done_callback(_log_failure)


def _log_failure(future: concurrent.futures.Future[None]) -> None:
    if not future.cancelled() and (exc := future.exception()) is not None:
        logger.warning("Could not send a message on the channel layer.", exc_info=exc)
