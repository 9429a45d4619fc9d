"""The node operations of ``quire.core.nodes`` at a scale no API test reaches.

Deleting a folder asks the database about every node below it. With all ids in one ``IN``
list, a folder of 70,000 nodes broke PostgreSQL's limit of 65,535 parameters per statement:
the delete failed (a 500 through the API) and the folder stayed, and the indexer could not
read the folder's subtree after a move.
"""

import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text

from quire.core.db import Database
from quire.core.models import Node, TaskRecord
from quire.core.nodes import delete_nodes
from quire.search.model import with_descendants
from tests.conftest import Account

MANY = 70_000


def test_deleting_a_folder_of_70000_nodes(
    app: FastAPI, db: Database, alice: Account, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("only PostgreSQL limits a statement's parameters (to 65,535)")
    folder_id = uuid.uuid4()
    with db.session() as session:
        session.execute(
            text(
                "INSERT INTO nodes (id, title, ctype, lang, user_id, parent_id, created_at,"
                " updated_at) SELECT CASE WHEN n = 0 THEN :folder ELSE gen_random_uuid() END,"
                " 'folder ' || n, 'folder', 'eng', :owner,"
                " CASE WHEN n = 0 THEN :home ELSE :folder END, now(), now()"
                " FROM generate_series(0, :many) AS n"
            ),
            {
                "folder": folder_id,
                "owner": alice.id,
                "home": alice.user.home_folder_id,
                "many": MANY,
            },
        )
        session.commit()
        # What the indexer reads after the folder moves or its shares change.
        assert len(with_descendants(session, [folder_id])) == MANY + 1
        # Into the trash, then (deleted there) for good.
        delete_nodes(session, app.state.storage, [folder_id])
        delete_nodes(session, app.state.storage, [folder_id])
    with db.session() as session:
        # home, inbox and trash
        assert session.scalar(select(func.count()).select_from(Node)) == 3
        payloads = session.scalars(select(TaskRecord.args).where(TaskRecord.name == "index"))
        forgotten = {node_id for payload in payloads for node_id in payload["node_ids"]}
    assert len(forgotten) == MANY + 1
    assert str(folder_id) in forgotten
