"""Redis as the arq queues see it: queue names, connection settings, the workers' health records.

Apart from ``core/tasks/`` (whose package imports the outbox, and so SQLAlchemy) because
``quire worker --check``, run by every health check, needs only this: it should answer in a
fraction of a second, not after importing the database layer and the task modules.
"""

from __future__ import annotations

from dataclasses import replace

from arq import create_pool
from arq.connections import RedisSettings

from quire.core.config import Settings


def queue_name(settings: Settings, queue: str) -> str:
    prefix = settings.main.prefix
    return f"{prefix}_{queue}" if prefix else queue


def redis_settings(settings: Settings) -> RedisSettings:
    assert settings.redis.url is not None
    # Fail fast: the dispatcher's next sweep is the retry.
    return replace(RedisSettings.from_dsn(settings.redis.url), conn_retries=0, conn_timeout=2)


def health_key(settings: Settings, queue: str) -> str:
    """Where a queue's worker writes its health record (arq's default key for its queue)."""
    return queue_name(settings, queue) + ":health-check"


async def check_health(settings: Settings, queues: list[str]) -> dict[str, str | None]:
    """Each queue's health record, as its worker writes it every few seconds (None: missing)."""
    redis = await create_pool(redis_settings(settings))
    try:
        result = {}
        for queue in queues:
            value = await redis.get(health_key(settings, queue))
            result[queue] = value.decode() if value else None
        return result
    finally:
        await redis.aclose()
