"""Decision statistics in Redis for scale-out: per bucket a hash of counts and, per placement, a
HyperLogLog of visitors; all expire after a day."""

from collections.abc import Collection, Mapping, Sequence

import redis
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from personalization.stats.backends.base import (
    BUCKET_SECONDS,
    RETENTION_SECONDS,
    BaseDecisionStatsStore,
    DecisionStatsError,
    StatsCounts,
    StatsKey,
)

KEY_PREFIX = "tactful:stats:v1:"
VISITORS_PREFIX = f"{KEY_PREFIX}visitors:"
TIMEOUT_SECONDS = 0.5
# Placement keys are slugs, so they never contain the separator.
_SEPARATOR = "|"


def visitors_key(bucket: int, placement: str) -> str:
    return f"{VISITORS_PREFIX}{bucket}:{placement}"


class RedisDecisionStatsStore(BaseDecisionStatsStore):
    """`tactful:stats:v1:<bucket>` holds `<placement>|<outcome>` → count; HINCRBY adds, so any
    number of processes flush into it without coordination. `…:visitors:<bucket>:<placement>` is
    a HyperLogLog of the group's visitors' keyed hashes: PFADD merges every process's, PFCOUNT
    of several keys counts their union (12 KB at most per key, whatever the traffic)."""

    def __init__(self) -> None:
        if not settings.REDIS_URL:
            raise ImproperlyConfigured("The Redis decision statistics store needs REDIS_URL.")
        self._client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=TIMEOUT_SECONDS,
            socket_timeout=TIMEOUT_SECONDS,
        )

    def add(
        self,
        counts: Mapping[StatsKey, Mapping[str, int]],
        visitors: Mapping[StatsKey, Collection[bytes]] | None = None,
    ) -> None:
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for (bucket, placement), outcomes in counts.items():
                    key = f"{KEY_PREFIX}{bucket}"
                    for outcome, n in outcomes.items():
                        pipe.hincrby(key, f"{placement}{_SEPARATOR}{outcome}", n)
                    pipe.expire(key, RETENTION_SECONDS)
                for (bucket, placement), hashes in (visitors or {}).items():
                    if hashes:
                        key = visitors_key(bucket, placement)
                        pipe.pfadd(key, *hashes)
                        pipe.expire(key, RETENTION_SECONDS)
                pipe.execute()
        except redis.RedisError as exc:
            raise DecisionStatsError(str(exc)) from exc

    def read(self, *, since: int, until: int) -> StatsCounts:
        buckets = range(since - since % BUCKET_SECONDS, until, BUCKET_SECONDS)
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for bucket in buckets:
                    pipe.hgetall(f"{KEY_PREFIX}{bucket}")
                rows = pipe.execute()
        except redis.RedisError as exc:
            raise DecisionStatsError(str(exc)) from exc
        counts: StatsCounts = {}
        for bucket, row in zip(buckets, rows, strict=True):
            if bucket < since:
                continue
            for field, value in row.items():
                placement, _, outcome = field.decode().rpartition(_SEPARATOR)
                counts.setdefault((bucket, placement), {})[outcome] = int(value)
        return counts

    def distinct_visitors(self, groups: Sequence[Collection[StatsKey]]) -> list[int]:
        asked = [keys for keys in groups if keys]
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for keys in asked:
                    pipe.pfcount(*(visitors_key(bucket, placement) for bucket, placement in keys))
                answers = iter(pipe.execute())
        except redis.RedisError as exc:
            raise DecisionStatsError(str(exc)) from exc
        return [int(next(answers)) if keys else 0 for keys in groups]
