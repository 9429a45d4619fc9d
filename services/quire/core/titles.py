"""One title per folder: no two nodes under one parent share a title (Papermerge's rule).

Titles compare exactly, byte for byte, on every database: ``Report.pdf`` and ``report.pdf`` may
be neighbours, as on PostgreSQL upstream (MariaDB's title column is binary for it, migration
0008). The unique index on ``(parent_id, title)`` enforces the rule against races; the checks
here say which title is taken before anything is written.

Two ways to meet a clash:

- Creating, renaming or moving a node by name (``POST /nodes/``, ``PATCH /nodes/{id}``,
  ``POST /nodes/move``) is refused: ``TitleTaken``, a 400 like upstream's.
- Importing (``quire import`` and the one-step upload ``POST /documents/upload``, where the name
  comes from a file, not from a person choosing it) takes the first free title of
  ``name``, ``name (2)``, ``name (3)``... with a file's extension kept at the end
  (``scan (2).pdf``): ``free_title``. Nothing is refused and nothing overwritten.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core.models import Node

MAX_TITLE = 255
# What counts as a file's extension, kept after a number: ``.pdf``, ``.tiff``, not ``.1 draft``.
MAX_EXTENSION = 10


class TitleTaken(ValueError):
    """A node of this title is in the folder already; the message names the title (``None``:
    one the caller wanted was taken by a concurrent request)."""

    def __init__(self, title: str | None) -> None:
        if title is None:
            message = "a node of the same title was just added to this folder; try again"
        else:
            message = f"a node titled {title!r} already exists in this folder"
        super().__init__(message)
        self.title = title


def taken_titles(
    session: Session,
    parent_id: uuid.UUID,
    titles: Iterable[str],
    *,
    ignore: Collection[uuid.UUID] = (),
) -> set[str]:
    """Which of ``titles`` are held in the folder by nodes other than ``ignore``."""
    wanted = set(titles)
    if not wanted:
        return set()
    query = select(Node.id, Node.title).where(Node.parent_id == parent_id, Node.title.in_(wanted))
    # Exact comparison here too: SQLite and MariaDB would otherwise meet the index half-way.
    return {title for node_id, title in session.execute(query) if node_id not in ignore} & wanted


def check_title_free(
    session: Session, parent_id: uuid.UUID, title: str, *, ignore: Collection[uuid.UUID] = ()
) -> None:
    if taken_titles(session, parent_id, [title], ignore=ignore):
        raise TitleTaken(title)


def check_move_titles(session: Session, nodes: Iterable[Node], target_id: uuid.UUID) -> None:
    """Nodes moved into ``target_id`` must not meet a title there, nor each other's."""
    moving = list(nodes)
    seen: set[str] = set()
    for node in moving:
        if node.title in seen:
            raise TitleTaken(node.title)
        seen.add(node.title)
    ids = {node.id for node in moving}
    taken = taken_titles(session, target_id, seen, ignore=ids)
    if taken:
        raise TitleTaken(sorted(taken)[0])


def split_extension(title: str, keep_extension: bool) -> tuple[str, str]:
    """``(stem, extension)``: ``("scan", ".pdf")``; the whole title when it has no extension."""
    if keep_extension:
        head, dot, tail = title.rpartition(".")
        if dot and head and tail.isalnum() and len(tail) <= MAX_EXTENSION:
            return head, dot + tail
    return title, ""


def candidates(title: str, *, keep_extension: bool) -> Iterator[str]:
    """``title``, then ``title (2)``, ``title (3)``... (``name (2).pdf`` for a file's name),
    each within the column's width."""
    yield title
    stem, extension = split_extension(title, keep_extension)
    number = 2
    while True:
        suffix = f" ({number}){extension}"
        yield stem[: MAX_TITLE - len(suffix)] + suffix
        number += 1


def free_title(
    session: Session, parent_id: uuid.UUID, title: str, *, keep_extension: bool = True
) -> str:
    """The first title of ``candidates(title)`` that no node in the folder holds."""
    stem, _ = split_extension(title, keep_extension)
    # Every candidate starts with this much of the stem (the suffix takes at most 32 places).
    prefix = stem[: MAX_TITLE - 32]
    query = select(Node.title).where(
        Node.parent_id == parent_id, Node.title.startswith(prefix, autoescape=True)
    )
    taken = set(session.scalars(query))
    return next(
        name for name in candidates(title, keep_extension=keep_extension) if name not in taken
    )
