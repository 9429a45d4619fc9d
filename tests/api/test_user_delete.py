"""Deleting a user takes everything they own with the rows: the files of their documents
(versions, thumbnails, previews, word boxes), their search entries and their bucket objects.

Counted after the fact, through the API and through ``quire users delete`` (a real process), with
local files, with a mirrored bucket and with the bucket as primary storage. A user deleted by the
database's cascade alone left all of those behind, unreachable and never cleaned up.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from quire.core.db import Database
from quire.core.models import DocumentVersion, Node, Page
from quire.core.storage import LocalStorage
from quire.search.engines import engine_for, forget_engines
from tests import samples
from tests.conftest import Account
from tests.helpers.cli import run_quire
from tests.processes import clean_env
from tests.s3.conftest import (  # noqa: F401  (fixtures, used by name)
    Mode,
    bucket_env,
    bucket_name,
    mirror,
    objects,
    primary,
    s3_server,
)

STORAGE_MODES = ("local", "mirror", "primary")


def _with_search(mode: Mode, index: Path) -> None:
    values = mode.settings.model_dump()
    values["search"] = {**values["search"], "url": f"tantivy://{index}"}
    mode.settings = type(mode.settings).model_validate(values)


@pytest.fixture(params=STORAGE_MODES)
def stack(
    request: pytest.FixtureRequest, app: FastAPI, db: Database, tmp_path: Path
) -> Iterator[Mode]:
    """The app on one storage mode, with a search index of this test's own."""
    if request.param == "local":
        mode = Mode(app, db, app.state.settings, app.state.storage, bucket="")
    else:
        mode = request.getfixturevalue(request.param)
    _with_search(mode, tmp_path / "index")
    engine_for(mode.settings).ensure_schema()
    original = app.state.settings
    app.state.settings = mode.settings
    yield mode
    app.state.settings = original
    forget_engines()


def _upload(account: Account, content: bytes, name: str, mime: str, **form: str) -> None:
    response = account.client.post(
        "/api/documents/upload", files={"file": (name, content, mime)}, data=form
    )
    assert response.status_code == 201, response.text


def _fill(account: Account) -> None:
    """A PDF in a folder of the home, an image (stored as is and as a PDF) in the inbox."""
    body = {"title": "Taxes", "ctype": "folder", "parent_id": account.home_id}
    folder = account.client.post("/api/nodes/", json=body)
    assert folder.status_code == 201, folder.text
    pdf = samples.pdf_with_text(["tax return 2024", "page two"])
    _upload(account, pdf, "return.pdf", "application/pdf", parent_id=folder.json()["id"])
    _upload(account, samples.image("PNG"), "scan.png", "image/png")


def _run_all(mode: Mode) -> list[str]:
    """Run tasks until none is pending (a task may queue others); the states they ended in."""
    states: list[str] = []
    for _ in range(10):
        ran = mode.run_tasks()
        if not ran:
            return states
        states.extend(ran)
    raise AssertionError("tasks kept coming")


def _ids_of(db: Database, user_id: uuid.UUID) -> set[str]:
    """Every id a key of the user's files can carry: nodes, versions, pages."""
    with db.session() as session:
        nodes = set(session.scalars(select(Node.id).where(Node.user_id == user_id)))
        versions = set(
            session.scalars(
                select(DocumentVersion.id).where(DocumentVersion.document_id.in_(nodes))
            )
        )
        pages = set(session.scalars(select(Page.id).where(Page.document_version_id.in_(versions))))
    return {str(i) for i in nodes | versions | pages}


def _leftovers(mode: Mode, ids: set[str]) -> dict[str, list[str]]:
    """The user's files on this host, entries in the index and objects in the bucket."""
    files: list[str] = []
    if isinstance(mode.storage, LocalStorage):
        root = mode.storage.root
        files = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    engine = engine_for(mode.settings)
    engine.refresh()
    return {
        "files": [key for key in files if any(i in key for i in ids)],
        "entries": [str(node) for node, _ in engine.fingerprints() if str(node) in ids],
        "objects": [key for key in objects(mode.bucket) if any(i in key for i in ids)]
        if mode.bucket
        else [],
    }


def _kinds(keys: list[str]) -> set[str]:
    return {key.split("/")[0] for key in keys}


def _cli_env(mode: Mode, database_url: str, tmp_path: Path) -> dict[str, str]:
    """The command's settings: the same database, media root or bucket as the app's."""
    env = clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "cli-data"),
        QUIRE_CONFIG=str(tmp_path / "none.toml"),
    )
    if isinstance(mode.storage, LocalStorage):
        env["QUIRE__MAIN__MEDIA_ROOT"] = str(mode.storage.root)
    if mode.bucket:
        env.update(bucket_env(mode.bucket))
    if not isinstance(mode.storage, LocalStorage):
        env.update(
            QUIRE__STORAGE__BACKEND="s3", QUIRE__STORAGE__CACHE_DIR=str(tmp_path / "cli-cache")
        )
    return env


@pytest.mark.parametrize("through", ["api", "cli"])
def test_deleting_a_user_leaves_no_files_entries_or_objects(
    through: str,
    stack: Mode,
    make_account,  # type: ignore[no-untyped-def]
    database_url: str,
    tmp_path: Path,
) -> None:
    admin = make_account("admin", is_superuser=True)
    bob = make_account("bob")
    _fill(bob)
    _fill(admin)
    _run_all(stack)  # previews, word boxes, thumbnails, index entries, bucket copies
    doomed, kept = _ids_of(stack.db, bob.id), _ids_of(stack.db, admin.id)
    before = _leftovers(stack, doomed)
    stored = before["files"] if isinstance(stack.storage, LocalStorage) else before["objects"]
    # Every kind of file is there to be deleted: else the test would prove less than it says.
    assert _kinds(stored) == {"docvers", "thumbnails", "previews", "words"}
    assert before["entries"]
    if stack.bucket:
        assert before["objects"]

    if through == "api":
        response = admin.client.delete(f"/api/users/{bob.id}")
        assert response.status_code == 204, response.text
    else:
        env = _cli_env(stack, database_url, tmp_path)
        done = run_quire("users", "delete", "bob", "--yes", env=env)
        assert done.returncode == 0, done.stderr
    assert set(_run_all(stack)) <= {"succeeded"}

    assert _leftovers(stack, doomed) == {"files": [], "entries": [], "objects": []}
    survivor = _leftovers(stack, kept)
    assert survivor["entries"]
    assert survivor["files"] or survivor["objects"]
