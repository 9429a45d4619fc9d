"""The garbage collector in long-running processes (``quire serve``, ``quire notify``)."""

from __future__ import annotations

import functools
import gc


@functools.cache
def freeze_start_up_objects() -> None:
    """What start-up made (modules, the app, the ORM's mappers, pydantic's schemas: 170,000
    objects) lives as long as the process: out of the collector's sight, the full collections
    that requests' garbage triggers now and then no longer walk it (30-150 ms each, measured;
    for ``quire notify`` with 1,000 clients, a stall of every delivery in its loop).
    Once per process: a process that makes many apps (the tests) would keep their garbage."""
    gc.freeze()
