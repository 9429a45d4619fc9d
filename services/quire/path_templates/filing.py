"""Filing one document where its type's path template says: the one operation the task and
``quire path-templates apply`` call.

Each document is filed in its own transaction(s), by the system (no actor): folders missing on
the way are made with ``nodes.create_folder`` (one commit each), and the document is moved and
renamed with ``nodes.update_node``, the normal move, which checks the target (same owner, not in
the trash), records the audit entries and queues the reindex. The outcome:

- ``moved``: a ``document.filed`` event for the owner is committed with the move;
- ``unchanged``: it is where its template says already (filing is idempotent);
- ``unfiled``: the template printed a value the document lacks; it goes to ``/home/Unfiled/``
  keeping its title, never to a half-built path (``moved`` otherwise);
- ``refused``: the template failed or named a place outside the owner's folders; the document
  stays, and the reason is recorded: an audit entry ``document.filing_refused``, an event of the
  same kind for the owner, and a warning in the log (``quire.path_templates``);
- ``skipped``: gone, in the trash, or its type has no template (any more).

A title taken in the target folder by another node gets a suffix made of the document's id,
``Bill 12 (3f2a9c1e).pdf``: the same for every run, so a second run leaves it as it is.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core import access, audit, events, nodes, ownership
from quire.core.custom_fields import document_fields
from quire.core.models import Document, DocumentType, Folder, Group, Node, User
from quire.core.titles import MAX_TITLE, TitleTaken, split_extension, taken_titles
from quire.path_templates.paths import UNFILED, PathRefused, TargetPath, parse_path
from quire.path_templates.sandbox import (
    DocumentContext,
    MissingValue,
    RenderLimit,
    TemplateProblem,
    compile_template,
    render,
)

log = logging.getLogger("quire.path_templates")
_TYPES = "quire.path_templates.types"
_TOO_SLOW = "quire.path_templates.too_slow"
_FOLDERS = "quire.path_templates.folders"

Kind = Literal["moved", "unchanged", "unfiled", "refused", "skipped"]


@dataclass(frozen=True)
class Outcome:
    kind: Kind
    path: str | None = None
    reason: str | None = None


class _Refused(Exception):
    pass


def file_document(session: Session, document_id: uuid.UUID) -> Outcome:
    """File the document by its type's template, committed; see the module's docstring."""
    outcome = _file(session, document_id)
    # Even when nothing changed: a batch's session holds no transaction from one to the next.
    session.commit()
    return outcome


def _file(session: Session, document_id: uuid.UUID) -> Outcome:
    document = session.get(Document, document_id)
    if document is None or document.document_type_id is None:
        return Outcome("skipped")
    doc_type = _document_type(session, document.document_type_id)
    if (
        doc_type is None
        or not doc_type.path_template
        or document.id in access.trashed_ids(session, [document.id])
    ):
        return Outcome("skipped")
    kind: Kind = "moved"
    too_slow: dict[str, str] = session.info.setdefault(_TOO_SLOW, {})
    try:
        if doc_type.path_template in too_slow:
            raise _Refused(too_slow[doc_type.path_template])
        try:
            text = render(compile_template(doc_type.path_template), context(session, document))
            target = parse_path(text)
        except MissingValue:
            target, kind = UNFILED, "unfiled"
        except RenderLimit as exc:
            if "took longer" in exc.reason:
                # Not a second for each of a batch's documents: the rest are refused at once.
                too_slow[doc_type.path_template] = f"{exc} (rendering for another document)"
            raise
        return _place(session, document, target, kind)
    except (TemplateProblem, PathRefused, _Refused, nodes.TreeError, TitleTaken) as exc:
        session.rollback()
        return _refuse(session, document_id, str(exc))


def context(session: Session, document: Document) -> DocumentContext:
    """What the template sees of the document. Text from the document (title, values, tags,
    names) has ``/`` and ``\\`` replaced by ``-`` and control characters dropped: a value never
    adds a level to the path, only the template's own slashes do."""
    doc_type = _document_type(session, document.document_type_id)
    fields = document_fields(session, document, doc_type)
    values = {
        item.field.name: _safe(item.value) if isinstance(item.value, str) else item.value
        for item in fields
        if item.row is not None
    }
    return DocumentContext(
        id=str(document.id),
        title=_safe(document.title),
        type=_safe(doc_type.name if doc_type else ""),
        cf=values,
        tags=tuple(_safe(tag.name) for tag in document.tags),
        owner=_safe(_owner_name(session, document)),
        created=document.created_at,
        updated=document.updated_at,
        has_all_cf=len(values) == len(fields),
    )


def _document_type(session: Session, type_id: uuid.UUID | None) -> DocumentType | None:
    """The type, read once per session: a batch's documents share it (a template changed
    meanwhile queues a re-filing of its own)."""
    if type_id is None:
        return None
    cache: dict[uuid.UUID, DocumentType | None] = session.info.setdefault(_TYPES, {})
    if type_id not in cache:
        cache[type_id] = session.get(DocumentType, type_id)
    return cache[type_id]


def _safe(value: str) -> str:
    value = value.replace("/", "-").replace("\\", "-")
    return "".join(ch for ch in value if ch.isprintable() or ch == " ")


def _owner_name(session: Session, document: Document) -> str:
    if document.group_id is not None:
        return session.scalar(select(Group.name).where(Group.id == document.group_id)) or ""
    return session.scalar(select(User.username).where(User.id == document.user_id)) or ""


def _place(session: Session, document: Document, target: TargetPath, kind: Kind) -> Outcome:
    which: ownership.SpecialFolder = (
        "home_folder_id" if target.root == "home" else "inbox_folder_id"
    )
    folder_id = ownership.special_folder(session, document, which)
    if folder_id is None:
        raise _Refused(f"the owner of the document has no {target.root} folder")
    chain = [folder_id]
    for title in target.folders:
        folder_id = _subfolder(session, folder_id, title)
        chain.append(folder_id)
    title = _free_title(session, folder_id, document, target.title or document.title)
    path = str(TargetPath(target.root, target.folders, title))
    if document.parent_id == folder_id and document.title == title:
        return Outcome("unchanged", path)
    # The path's folders stay loaded for the batch's next documents, which mostly go to the
    # same ones (the move's checks walk up from the target; a session keeps only what is
    # referenced). A batch is short: a folder moved meanwhile is seen by the next batch.
    kept: dict[uuid.UUID, Folder] = session.info.setdefault(_FOLDERS, {})
    for chain_id in chain:
        if chain_id not in kept:
            kept[chain_id] = session.get_one(Folder, chain_id)
    folder = kept[folder_id]
    # Ownership follows the tree, so this holds in the owner's home; checked all the same: a
    # template never moves a document into a folder its owner does not own.
    if not ownership.same_owner(folder, document):
        raise _Refused("the target folder does not belong to the document's owner")
    nodes.update_node(
        session,
        document,
        title=title,
        target=folder if document.parent_id != folder.id else None,
    )
    events.node_event(session, events.DOCUMENT_FILED, document, path=path)
    log.info("document filed", extra={"document_id": str(document.id), "path": path})
    return Outcome(kind, path)


def _subfolder(session: Session, parent_id: uuid.UUID, title: str) -> uuid.UUID:
    """The folder ``title`` in ``parent``, made if missing (by a concurrent run, maybe)."""
    for attempt in range(2):
        found = session.execute(
            select(Node.id, Node.ctype).where(Node.parent_id == parent_id, Node.title == title)
        ).first()
        if found is not None and found.ctype == "folder":
            folder_id: uuid.UUID = found.id
            return folder_id
        if found is not None:
            raise _Refused(f"{title!r} in the path is a document, not a folder")
        try:
            parent = session.get_one(Folder, parent_id)
            return nodes.create_folder(session, parent, title).id
        except TitleTaken:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _free_title(session: Session, folder_id: uuid.UUID, document: Document, wanted: str) -> str:
    """``wanted``, or if another node holds it there, ``wanted`` with the document's suffix."""
    wanted = wanted[:MAX_TITLE]
    suffixed = _suffixed(wanted, document.id)
    taken = taken_titles(session, folder_id, [wanted, suffixed], ignore={document.id})
    if wanted not in taken:
        return wanted
    if suffixed not in taken:
        return suffixed
    raise _Refused(f"{wanted!r} and {suffixed!r} are both taken in the target folder")


def _suffixed(title: str, document_id: uuid.UUID) -> str:
    """``Bill (3f2a9c1e).pdf``: numbered as core numbers titles (``free_title``), with the
    first eight hex digits of the document's id for the number."""
    stem, extension = split_extension(title, keep_extension=True)
    suffix = f" ({document_id.hex[:8]}){extension}"
    return stem[: MAX_TITLE - len(suffix)] + suffix


def _refuse(session: Session, document_id: uuid.UUID, reason: str) -> Outcome:
    document = session.get_one(Document, document_id)
    audit.record(session, audit.Action.FILING_REFUSED, document, reason=reason)
    events.node_event(session, events.FILING_REFUSED, document, reason=reason)
    session.commit()
    log.warning("filing refused", extra={"document_id": str(document_id), "reason": reason})
    return Outcome("refused", reason=reason)
