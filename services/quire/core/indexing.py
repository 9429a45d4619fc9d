"""Telling the search index that nodes changed.

Whatever changes what search must answer (an upload, OCR, a rename, tags, a move, a share, a
delete) calls ``reindex_later`` in the same transaction as the change. The ``index`` task (the
search package's indexer, registered at start-up) then reads those nodes as they are when it
runs and writes them to the search engine, or removes them if they are gone, so a late or
repeated task is harmless.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.orm import Session

from quire.core.tasks import enqueue

INDEX_TASK = "index"
INDEX_QUEUE = "index"


def reindex_later(
    session: Session,
    node_ids: Iterable[uuid.UUID],
    *,
    descendants: bool = False,
    user_id: uuid.UUID | None = None,
) -> None:
    """Queue the nodes (and with ``descendants``, everything below them) for the indexer.

    ``descendants`` is for changes that every node below inherits: a move changes their path,
    a share or its revocation changes who may see them.
    """
    ids = sorted({str(node_id) for node_id in node_ids})
    if ids:
        enqueue(
            session,
            INDEX_TASK,
            {"node_ids": ids, "descendants": descendants},
            user_id=user_id,
            queue=INDEX_QUEUE,
        )
