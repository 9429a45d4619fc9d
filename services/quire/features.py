"""The feature packages, wired into core. Every entry point calls ``register_features`` before
it opens storage or looks up a task: the web app factory and the ``quire`` command (whose
``worker`` serves the queues).

This module sits above core and the feature packages, so that core never names them: it knows
its storage backends and task modules only from what is registered here.
"""

from __future__ import annotations

import quire.path_templates
import quire.s3
import quire.search


def register_features() -> None:
    """Register every feature's storage backends and task modules with core. Idempotent: each
    registration is, so calling it again (a second app in the same process, tests) is harmless."""
    quire.search.register()
    quire.s3.register()
    quire.path_templates.register()
