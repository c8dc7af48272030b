"""Outcome marks and pending aggregates in Redis for scale-out: one hash of marks per visitor
(expiring a window after their last exposure), one hash of aggregates, one Lua script per
visitor and operation so that concurrent processes never count a visitor twice."""

from collections.abc import Mapping, Sequence
from typing import cast

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from personalization.outcomes.backends.base import (
    FIELD_SEPARATOR,
    INTEGER_FIELDS,
    TOMBSTONE_SECONDS,
    Aggregates,
    BaseOutcomeStore,
    ConvertedEvent,
    Exposure,
    Mark,
    OutcomeStoreError,
    day_of,
)
from personalization.outcomes.cohorts import Cohort
from personalization.signals.taxonomy import CLOCK_SKEW_SECONDS

type Arg = str | int | float

KEY_PREFIX = "tactful:outcomes:v1:"
AGGREGATES_KEY = f"{KEY_PREFIX}aggregates"
TIMEOUT_SECONDS = 0.5

# Shared by both scripts: drop the marks of exposures at or before `since` (and their totals);
# returns cohort → {exposure time, revision} of the live ones. KEYS[1] is the visitor's marks.
_PRUNE = """
local function live_marks(since)
  local flat = redis.call('HGETALL', KEYS[1])
  local live, stale = {}, {}
  for i = 1, #flat, 2 do
    local field = flat[i]
    if string.sub(field, 1, 2) == 'e#' then
      local at = tonumber(string.match(flat[i + 1], '^[^,]+'))
      if at <= since then
        stale[string.sub(field, 3)] = true
        redis.call('HDEL', KEYS[1], field)
      else
        live[string.sub(field, 3)] = {at, string.match(flat[i + 1], ',(.*)$')}
      end
    end
  end
  for i = 1, #flat, 2 do
    local field = flat[i]
    if string.sub(field, 1, 2) == 't#' then
      local cohort = string.match(string.sub(field, 3), '^(.*)#[^#]*$')
      if stale[cohort] then redis.call('HDEL', KEYS[1], field) end
    end
  end
  return live
end
local function number(x) return string.format('%.17g', x) end
"""

# KEYS: marks, tombstone, aggregates. ARGV: now, window, at, revision, day, cohort...
_EXPOSE = (
    _PRUNE
    + """
local now, window, at = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local erased = redis.call('GET', KEYS[2])
if (erased and tonumber(erased) >= at) or at <= now - window then return 0 end
live_marks(now - window)
local stamp = ARGV[3] .. ',' .. ARGV[4]
local added = 0
for i = 6, #ARGV do
  if redis.call('HSETNX', KEYS[1], 'e#' .. ARGV[i], stamp) == 1 then
    redis.call('HINCRBY', KEYS[3], 'v#' .. ARGV[5] .. '#' .. ARGV[4] .. '#' .. ARGV[i], 1)
    added = added + 1
  end
end
if added > 0 then
  local ttl = math.ceil(at + window - now)
  if ttl > redis.call('TTL', KEYS[1]) then redis.call('EXPIRE', KEYS[1], ttl) end
end
return added
"""
)

# KEYS: marks, tombstone, aggregates. ARGV: now, window, skew, at, day, then (goal, value,
# binary) triples.
_CONVERT = (
    _PRUNE
    + """
local now, window, skew, at = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
  tonumber(ARGV[4])
local erased = redis.call('GET', KEYS[2])
if erased and tonumber(erased) >= at then return 0 end
local live = live_marks(now - window)
local attributed = 0
for cohort, mark in pairs(live) do
  local exposed, revision = mark[1], mark[2]
  if exposed > at - window and exposed <= at + skew then
    for j = 6, #ARGV, 3 do
      local goal, value, binary = ARGV[j], tonumber(ARGV[j + 1]), ARGV[j + 2] == '1'
      local field = 't#' .. cohort .. '#' .. goal
      local before = redis.call('HGET', KEYS[1], field)
      if not (binary and before) then
        local total = before and tonumber(before) or 0
        local after = binary and 1 or total + value
        local suffix = '#' .. ARGV[5] .. '#' .. revision .. '#' .. cohort .. '#' .. goal
        redis.call('HSET', KEYS[1], field, number(after))
        if not before then redis.call('HINCRBY', KEYS[3], 'c' .. suffix, 1) end
        redis.call('HINCRBYFLOAT', KEYS[3], 's' .. suffix, number(after - total))
        redis.call('HINCRBYFLOAT', KEYS[3], 'q' .. suffix, number(after * after - total * total))
        attributed = attributed + 1
      end
    end
  end
end
return attributed
"""
)

# KEYS: aggregates. Returns them and deletes them, atomically.
_TAKE = """
local flat = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return flat
"""


def marks_key(visitor: str) -> str:
    return f"{KEY_PREFIX}marks:{visitor}"


def tombstone_key(visitor: str) -> str:
    return f"{KEY_PREFIX}erased:{visitor}"


class RedisOutcomeStore(BaseOutcomeStore):
    """`…:marks:<visitor>` holds `e#<cohort>` → "<exposed at>,<revision>" and
    `t#<cohort>#<goal>` → the visitor's running total; `…:aggregates` holds the pending
    aggregates (HINCRBY/HINCRBYFLOAT, so any number of processes add to them)."""

    def __init__(self) -> None:
        if not settings.REDIS_URL:
            raise ImproperlyConfigured("The Redis outcome store needs REDIS_URL.")
        self._client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=TIMEOUT_SECONDS,
            socket_timeout=TIMEOUT_SECONDS,
        )
        self._expose = self._client.register_script(_EXPOSE)
        self._convert = self._client.register_script(_CONVERT)
        self._take = self._client.register_script(_TAKE)

    def _keys(self, visitor: str) -> list[str]:
        return [marks_key(visitor), tombstone_key(visitor), AGGREGATES_KEY]

    def expose(self, exposures: Sequence[Exposure], *, now: float, window: float) -> int:
        if not exposures:
            return 0
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for exposure in exposures:
                    args: list[Arg] = [
                        now,
                        window,
                        exposure.at,
                        exposure.revision,
                        day_of(exposure.at),
                    ]
                    self._expose(
                        keys=self._keys(exposure.visitor),
                        args=[*args, *exposure.cohorts],
                        client=pipe,
                    )
                return sum(int(added) for added in pipe.execute())
        except redis.RedisError as exc:
            raise OutcomeStoreError(str(exc)) from exc

    def convert(
        self, visitor: str, events: Sequence[ConvertedEvent], *, now: float, window: float
    ) -> int:
        if not events:
            return 0
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for event in events:
                    args: list[Arg] = [
                        now,
                        window,
                        CLOCK_SKEW_SECONDS,
                        event.at,
                        day_of(event.at),
                    ]
                    for conversion in event.conversions:
                        args += [conversion.goal, repr(conversion.value), int(conversion.binary)]
                    self._convert(keys=self._keys(visitor), args=args, client=pipe)
                return sum(int(attributed) for attributed in pipe.execute())
        except redis.RedisError as exc:
            raise OutcomeStoreError(str(exc)) from exc

    def marks(self, visitor: str, *, now: float, window: float) -> list[Mark]:
        try:
            flat = cast(dict[bytes, bytes], self._client.hgetall(marks_key(visitor)))
        except redis.RedisError as exc:
            raise OutcomeStoreError(str(exc)) from exc
        fields = {key.decode(): value.decode() for key, value in flat.items()}
        marks = []
        for field, value in sorted(fields.items()):
            if not field.startswith("e#"):
                continue
            cohort = field[2:]
            at, _, revision = value.partition(",")
            if float(at) <= now - window:
                continue
            prefix = f"t#{cohort}{FIELD_SEPARATOR}"
            goals = {
                int(key[len(prefix) :]): float(total)
                for key, total in fields.items()
                if key.startswith(prefix)
            }
            marks.append(Mark(Cohort.parse(cohort), float(at), int(revision), goals))
        return marks

    def erase(self, visitor: str, *, now: float) -> int:
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.hkeys(marks_key(visitor))
                pipe.delete(marks_key(visitor))
                pipe.set(tombstone_key(visitor), repr(now), ex=TOMBSTONE_SECONDS)
                fields, _, _ = pipe.execute()
        except redis.RedisError as exc:
            raise OutcomeStoreError(str(exc)) from exc
        return sum(1 for field in fields if field.startswith(b"e#"))

    def take(self) -> Aggregates:
        try:
            flat = self._take(keys=[AGGREGATES_KEY])
        except redis.RedisError as exc:
            raise OutcomeStoreError(str(exc)) from exc
        return {flat[i].decode(): float(flat[i + 1]) for i in range(0, len(flat), 2)}

    def give_back(self, aggregates: Mapping[str, float]) -> None:
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for field, amount in aggregates.items():
                    if field.split(FIELD_SEPARATOR, 1)[0] in INTEGER_FIELDS:
                        pipe.hincrby(AGGREGATES_KEY, field, round(amount))
                    else:
                        pipe.hincrbyfloat(AGGREGATES_KEY, field, amount)
                pipe.execute()
        except redis.RedisError as exc:
            raise OutcomeStoreError(str(exc)) from exc
