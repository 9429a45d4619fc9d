"""``/api/nodes/bulk/...``: one action on many nodes in one request (Quire's own).

Decision: the paths sit under ``/api/nodes/bulk/`` (beside upstream's ``/api/nodes/move``), all
``POST`` with a JSON body naming ``node_ids`` (at most ``BULK_LIMIT``; more is a 422 saying so):

- ``POST /api/nodes/bulk/tags`` ``{node_ids, names, change: "add" | "remove" | "assign"}``
- ``POST /api/nodes/bulk/move`` ``{node_ids, target_id}``
- ``POST /api/nodes/bulk/delete`` ``{node_ids}``: into the owners' trash, as ``DELETE /nodes/``
- ``POST /api/nodes/bulk/document-type`` ``{node_ids, document_type_id | null}``

Each answers ``{"node_ids": [...]}``. All or nothing: every node is checked first (the access
rule, as for one node), and any refusal is its 4xx with a detail naming the node
(``node <id>: ...``), before anything is written; the write is the core operation the
single-node route calls, committed once for all. This router is included before the nodes
router, so that ``/nodes/{node_id}/tags`` does not take ``bulk`` for an id.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from quire.core import nodes as core_nodes
from quire.core import scopes
from quire.core.custom_fields import set_document_type
from quire.core.models import Document, DocumentType, Node, User
from quire.core.tags import TagChange, TagNameTaken, set_node_tags
from quire.core.titles import TitleTaken
from quire.web.api.common import accessible_node, refusals_as
from quire.web.api.node_schemas import TagNames
from quire.web.deps import DbSession, Storage, require

router = APIRouter(tags=["nodes"])

# Nodes per request: enough for a page of selections, few enough that one transaction (and the
# index task it queues) stays short.
BULK_LIMIT = 1000
NodeIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=BULK_LIMIT)]


class BulkIds(BaseModel):
    node_ids: NodeIds


class BulkTags(BulkIds):
    names: TagNames
    change: TagChange = TagChange.add


class BulkMove(BulkIds):
    target_id: uuid.UUID


class BulkDocumentType(BulkIds):
    document_type_id: uuid.UUID | None


class BulkDone(BaseModel):
    node_ids: list[uuid.UUID]


def refused_as_named(
    db: Session,
    user: User,
    node_ids: list[uuid.UUID],
    perm: str,
    kind: type[Node] = Node,
) -> list[Node]:
    """The nodes, if the user may do ``perm`` with every one; else the first refusal, its
    detail naming the node. Duplicates are refused: they mean a confused client."""
    if len(set(node_ids)) != len(node_ids):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="node_ids repeats an id")
    found = []
    for node_id in node_ids:
        try:
            found.append(accessible_node(db, user, node_id, kind, perm))
        except HTTPException as exc:
            raise HTTPException(exc.status_code, detail=f"node {node_id}: {exc.detail}") from exc
    return found


def _no_roots(nodes: list[Node]) -> None:
    for node in nodes:
        if node.parent_id is None:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                detail=f"node {node.id}: the home, inbox and trash folders cannot be changed",
            )


@router.post("/nodes/bulk/tags", response_model=BulkDone)
def bulk_tags(
    body: BulkTags, user: Annotated[User, require(scopes.NODE_UPDATE)], db: DbSession
) -> BulkDone:
    nodes = refused_as_named(db, user, body.node_ids, scopes.NODE_UPDATE)
    with refusals_as({TagNameTaken: status.HTTP_409_CONFLICT}):
        for node in nodes:
            set_node_tags(db, node, body.names, body.change, commit=False)
        db.commit()
    return BulkDone(node_ids=body.node_ids)


@router.post("/nodes/bulk/move", response_model=BulkDone)
def bulk_move(
    body: BulkMove, user: Annotated[User, require(scopes.NODE_MOVE)], db: DbSession
) -> BulkDone:
    nodes = refused_as_named(db, user, body.node_ids, scopes.NODE_MOVE)
    _no_roots(nodes)
    target = refused_as_named(db, user, [body.target_id], scopes.NODE_UPDATE)[0]
    with refusals_as({core_nodes.TreeError: 400, TitleTaken: 400}):
        core_nodes.move_nodes(db, nodes, target, by=user)
    return BulkDone(node_ids=body.node_ids)


@router.post("/nodes/bulk/delete", response_model=BulkDone)
def bulk_delete(
    body: BulkIds,
    user: Annotated[User, require(scopes.NODE_DELETE)],
    db: DbSession,
    storage: Storage,
) -> BulkDone:
    _no_roots(refused_as_named(db, user, body.node_ids, scopes.NODE_DELETE))
    core_nodes.delete_nodes(db, storage, body.node_ids)
    return BulkDone(node_ids=body.node_ids)


@router.post("/nodes/bulk/document-type", response_model=BulkDone)
def bulk_document_type(
    body: BulkDocumentType,
    user: Annotated[User, require(scopes.NODE_UPDATE, scopes.DOCUMENT_UPDATE_DOCUMENT_TYPE)],
    db: DbSession,
) -> BulkDone:
    documents = refused_as_named(
        db, user, body.node_ids, scopes.DOCUMENT_UPDATE_DOCUMENT_TYPE, Document
    )
    doc_type = None
    if body.document_type_id is not None:
        doc_type = db.get(DocumentType, body.document_type_id)
    for document in documents:
        # The owner's types only, as for one document: a grantee uses the owner's.
        if body.document_type_id is not None and (
            doc_type is None or doc_type.user_id != document.user_id
        ):
            detail = f"node {document.id}: unknown document type id: {body.document_type_id}"
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)
    for document in documents:
        assert isinstance(document, Document)
        set_document_type(db, document, doc_type, commit=False)
    db.commit()
    return BulkDone(node_ids=body.node_ids)
