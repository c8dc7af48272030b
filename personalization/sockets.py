"""The decisions socket's parts: what a client may send, decisions as they are sent and shared
by a fan-out, and the socket's timers."""

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import orjson

from personalization.serializers import context_problems
from personalization.serving import Decisions, decisions_served_again

logger = logging.getLogger(__name__)

CLOSE_TOO_BIG = 1009
CLOSE_FLOOD = 4429
PLACEMENT_KEY = re.compile(r"[-a-zA-Z0-9_]{1,64}")
MAX_PLACEMENTS = 100
SUBSCRIBE_FIELDS = frozenset({"type", "placements", "context", "token", "resume"})


def subscribe_problems(content: dict[str, Any]) -> list[str]:
    problems = [f"unknown field {key[:40]!r}" for key in content if key not in SUBSCRIBE_FIELDS]
    placements = content.get("placements")
    if placements is not None and (
        not isinstance(placements, list)
        or len(placements) > MAX_PLACEMENTS
        or not all(isinstance(p, str) and PLACEMENT_KEY.fullmatch(p) for p in placements)
    ):
        problems.append(f"placements must be a list of at most {MAX_PLACEMENTS} placement keys")
    if "context" in content:
        problems.extend(context_problems(content["context"]))
    if not isinstance(content.get("token", ""), str):
        problems.append("token must be a string")
    resume = content.get("resume")
    if resume is not None and not (
        isinstance(resume, dict)
        and isinstance(resume.get("seq"), int)
        and not isinstance(resume.get("seq"), bool)
        and 0 <= resume["seq"] < 2**53
        and isinstance(resume.get("etag"), str)
    ):
        problems.append('resume must be {"seq": <last seq>, "etag": <last etag>}')
    return problems


@dataclass(frozen=True, slots=True)
class Served:
    """Decisions as a socket sends them: each shaped as in `/api/v1/decide`, and their etag."""

    result: Decisions
    payload: dict[str, Any]
    etag: str

    @classmethod
    def of(cls, result: Decisions) -> "Served":
        payload = {key: decision.as_dict() for key, decision in result.decisions.items()}
        etag = hashlib.blake2b(
            orjson.dumps(payload, option=orjson.OPT_SORT_KEYS), digest_size=12
        ).hexdigest()
        return cls(result=result, payload=payload, etag=etag)


class SharedDecisions:
    """One fan-out's decisions for anonymous sockets, by their inputs (see `shared_key`): made
    for the first socket, served to the others, and counted for each of them at the end."""

    def __init__(self) -> None:
        self._served: dict[tuple[Any, ...], Served] = {}
        self._again: dict[tuple[Any, ...], int] = {}

    async def serve(
        self, key: tuple[Any, ...] | None, *, at_least: int, make: Callable[[], Awaitable[Served]]
    ) -> Served:
        """The decisions of the sockets with inputs `key` (None: a subject's, never shared)."""
        served = self._served.get(key) if key is not None else None
        if key is not None and served is not None and served.result.revision >= at_least:
            self._again[key] = self._again.get(key, 0) + 1
            return served
        served = await make()
        if key is not None:
            self._served[key] = served
        return served

    def record(self) -> None:
        """Count the decisions served again, as many times as they were: in one go, not on
        the way to the next socket. (They were made once: they are not timed again.)"""
        for key, times in self._again.items():
            decisions_served_again(self._served[key].result, times=times)
        self._again.clear()


def shared_key(
    *, purposes: dict[str, bool], context_key: bytes, placements: list[str] | None
) -> tuple[Any, ...]:
    """What an anonymous socket's decisions depend on besides the snapshot: sockets with equal
    keys get equal decisions, so one fan-out evaluates them once. (A subject's decisions also
    depend on their id, which buckets experiments: those are never shared.)"""
    return (
        tuple(sorted(purposes.items())),
        context_key,
        None if placements is None else tuple(placements),
    )


def context_key(context: dict[str, Any]) -> bytes:
    return orjson.dumps(context, option=orjson.OPT_SORT_KEYS)


type Job = Callable[[], Coroutine[Any, Any, None]]


class SocketJobs:
    """A socket's timers and background jobs: named timers replace each other, and every one
    is cancelled at once when the socket is released."""

    def __init__(self) -> None:
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopped = False

    def schedule(self, name: str, delay: float, job: Job) -> None:
        self.cancel(name)
        self.timers[name] = asyncio.get_running_loop().call_later(delay, self.spawn, job)

    def cancel(self, name: str) -> None:
        if (timer := self.timers.pop(name, None)) is not None:
            timer.cancel()

    def spawn(self, job: Job) -> None:
        if self.stopped:
            return
        task = asyncio.ensure_future(self._run(job))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def stop(self) -> None:
        self.stopped = True
        for timer in self.timers.values():
            timer.cancel()
        for task in self.tasks:
            task.cancel()

    async def _run(self, job: Job) -> None:
        try:
            await job()
        except Exception:
            # A timer firing as the socket closes has nobody left to tell.
            logger.warning("A timed job of a decisions socket failed.", exc_info=True)
