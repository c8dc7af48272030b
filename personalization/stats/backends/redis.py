"""Decision statistics in Redis for scale-out: one hash per bucket, expiring after a day."""

from collections.abc import Mapping

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
TIMEOUT_SECONDS = 0.5
# Placement keys are slugs, so they never contain the separator.
_SEPARATOR = "|"


class RedisDecisionStatsStore(BaseDecisionStatsStore):
    """`tactful:stats:v1:<bucket>` holds `<placement>|<outcome>` → count; HINCRBY adds, so any
    number of processes flush into it without coordination."""

    def __init__(self) -> None:
        if not settings.REDIS_URL:
            raise ImproperlyConfigured("The Redis decision statistics store needs REDIS_URL.")
        self._client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=TIMEOUT_SECONDS,
            socket_timeout=TIMEOUT_SECONDS,
        )

    def add(self, counts: Mapping[StatsKey, Mapping[str, int]]) -> None:
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for (bucket, placement), outcomes in counts.items():
                    key = f"{KEY_PREFIX}{bucket}"
                    for outcome, n in outcomes.items():
                        pipe.hincrby(key, f"{placement}{_SEPARATOR}{outcome}", n)
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
