"""Where a hub hears of newly committed events: Redis pub/sub, or this process.

With ``REDIS__URL`` every process that commits events publishes their ids on one channel
(``core.events.RedisAnnouncer``), and every notify node subscribes: each delivers to its own
clients. Without it (the embedded default) the web app's own hub listens to
``core.events.local_bus``. A message lost while Redis is away is found by the hub's sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from quire.core import events
from quire.core.config import Settings
from quire.notify.hub import Hub

log = logging.getLogger("quire.notify")
RECONNECT_SECONDS = 1.0

Listener = Callable[[Hub], Coroutine[Any, Any, None]]


def listener_for(settings: Settings) -> Listener:
    if settings.redis.url:
        return redis_listener(settings.redis.url, events.channel_name(settings.main.prefix))
    return listen_locally


def parse_ids(data: bytes | str) -> list[int]:
    """``b"12,13"`` as ids; anything else published on the channel is ignored."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def redis_listener(url: str, channel: str) -> Listener:
    async def listen(hub: Hub) -> None:
        while True:
            client = aioredis.Redis.from_url(url)
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(channel)
                    log.info("listening for events", extra={"channel": channel})
                    async for message in pubsub.listen():
                        ids = parse_ids(message["data"])
                        if ids:
                            hub.announced(ids)
            except (RedisError, OSError) as exc:
                log.warning("Redis is away, retrying (the sweep delivers meanwhile): %s", exc)
            finally:
                await client.aclose()
            await asyncio.sleep(RECONNECT_SECONDS)

    return listen


async def listen_locally(hub: Hub) -> None:
    stop = events.local_bus.listen(hub.announced_threadsafe)
    try:
        await asyncio.Event().wait()
    finally:
        stop()
