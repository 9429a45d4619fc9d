"""What a rendered template may name: a place in its document's owner's own folders.

``/home/Invoices/ACME/2024/Bill 12`` is the folder ``Invoices/ACME/2024`` of the owner's home,
created as needed, and the title ``Bill 12``. A path ending in ``/`` names a folder only: the
document keeps its title. The first segment is ``home`` or ``inbox`` (the owner's: a group's
document goes to the group's); anything else (another user's home, ``..``) is refused, and so is
an empty segment (``a//b``), ``.``, ``..``, a control character or a segment longer than a title
may be. Spaces around the whole path and around each segment are dropped (Jinja's whitespace
leaks into both).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from quire.core.titles import MAX_TITLE

ROOTS = ("home", "inbox")
# Where a document goes when its template prints a value it lacks (docs/path-templates.md).
UNFILED_FOLDER = "Unfiled"


class PathRefused(ValueError):
    """A rendered path that does not name a place in the owner's folders; the message says why."""


@dataclass(frozen=True)
class TargetPath:
    root: Literal["home", "inbox"]
    folders: tuple[str, ...]
    # None: the document keeps its title.
    title: str | None

    def __str__(self) -> str:
        return "/" + "/".join((self.root, *self.folders, *([self.title] if self.title else [])))


UNFILED = TargetPath("home", (UNFILED_FOLDER,), None)


def parse_path(text: str) -> TargetPath:
    path = text.strip()
    if not path.startswith("/"):
        raise PathRefused(f"the path must start with /home/ or /inbox/, not {path[:40]!r}")
    keeps_title = path.endswith("/") and len(path) > 1
    segments = [segment.strip() for segment in path[1:].removesuffix("/").split("/")]
    root, *rest = segments
    if root not in ROOTS:
        raise PathRefused(
            f"the path must start with /home/ or /inbox/ (the owner's own folders), "
            f"not /{root[:40]}/"
        )
    for segment in rest:
        _check_segment(segment)
    if keeps_title or not rest:
        return TargetPath("home" if root == "home" else "inbox", tuple(rest), None)
    return TargetPath("home" if root == "home" else "inbox", tuple(rest[:-1]), rest[-1])


def _check_segment(segment: str) -> None:
    if not segment:
        raise PathRefused("the path has an empty segment (//)")
    if segment in (".", ".."):
        raise PathRefused(f"the path may not contain {segment!r}")
    if any(unicodedata.category(ch).startswith("C") for ch in segment):
        raise PathRefused("the path contains a control character")
    if len(segment) > MAX_TITLE:
        raise PathRefused(f"a segment of the path is longer than {MAX_TITLE} characters")
