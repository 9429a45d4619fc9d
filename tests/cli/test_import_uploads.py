"""``quire import`` stores each file through the API's upload operation (``core.uploads``): no
eager previews when OCR follows, and a failed commit leaves neither a row nor a file."""

from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from quire.cli.importer import _folder, _import_file
from quire.core import files
from quire.core.config import OcrSettings
from quire.core.db import Database
from quire.core.models import Document, DocumentVersion, Folder, Node, TaskRecord, User
from quire.core.nodes import create_document
from quire.core.storage import LocalStorage
from quire.core.users import create_user
from tests import samples
from tests.helpers.cli import run_quire
from tests.processes import clean_env


def _quire(database_url: str, tmp_path: Path, *args: str, **env: str) -> str:
    """Run ``quire ...`` as a real process on the test database; its stderr."""
    done = run_quire(
        *args,
        env=clean_env(
            tmp_path,
            QUIRE__DATABASE__URL=database_url,
            QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
            QUIRE_CONFIG=str(tmp_path / "none.toml"),
            QUIRE_PASSWORD="pw",
            **env,
        ),
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def _task_names(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(TaskRecord.name)))


@pytest.mark.parametrize(("automatic", "expected"), [("true", "ocr"), ("false", "previews")])
def test_import_leaves_previews_to_ocr_when_ocr_follows(
    database_url: str,
    db: Database,
    tmp_path: Path,
    automatic: str,
    expected: str,
) -> None:
    _quire(database_url, tmp_path, "users", "create", "erin")
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(samples.pdf_with_text(["dear reader"]))
    command = ("import", str(letter), "--user", "erin")
    done = _quire(database_url, tmp_path, *command, QUIRE__OCR__AUTOMATIC=automatic)
    assert "imported 1" in done
    # OCR's version brings its own previews within the minute: drawing these would be wasted.
    assert _task_names(db) == sorted(["index", expected])


def _fail_commit_once(session: Session) -> None:
    def fail(_session: Session) -> None:
        event.remove(session, "before_commit", fail)
        raise ConnectionError("the database went away during the commit")

    event.listen(session, "before_commit", fail)


def test_a_failed_commit_of_an_import_leaves_no_row_and_no_file(
    db: Database, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path / "media")  # made by the db fixture
    source = tmp_path / "scan.png"
    source.write_bytes(samples.image("PNG"))
    with db.session() as session:
        owner = create_user(session, username="frank", password="pw")
        session.commit()
        inbox = owner.inbox_folder_id
        assert inbox is not None
        _fail_commit_once(session)
        with pytest.raises(ConnectionError):
            _import_file(
                session,
                storage,
                inbox,
                source,
                max_bytes=1 << 20,
                limits=files.DEFAULT_LIMITS,
                ocr=OcrSettings(automatic=False),
            )
        # The next file's commit (the import goes on) must not carry the failed one's rows.
        session.commit()
    assert not [p for p in storage.root.rglob("*") if p.is_file()]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0
        assert session.scalar(select(func.count()).select_from(DocumentVersion)) == 0
        assert session.scalar(select(func.count()).select_from(User)) == 1


def test_imported_folders_reach_the_search_index(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    """A folder made by the import is indexed as one made through the API: before, only the
    documents were, and no search found the folder by its name."""
    _quire(database_url, tmp_path, "users", "create", "gina")
    letter = tmp_path / "tree" / "Invoices 2026" / "letter.pdf"
    letter.parent.mkdir(parents=True)
    letter.write_bytes(samples.pdf_with_text(["dear reader"]))
    _quire(database_url, tmp_path, "import", str(tmp_path / "tree"), "--user", "gina")
    with db.session() as session:
        folder_id = session.scalar(select(Folder.id).where(Folder.title == "Invoices 2026"))
        payloads = session.scalars(select(TaskRecord.args).where(TaskRecord.name == "index"))
        indexed = {node_id for payload in payloads for node_id in payload["node_ids"]}
    assert folder_id is not None
    assert str(folder_id) in indexed


def test_an_import_meeting_taken_names_numbers_them_and_stays_resumable(
    db: Database, tmp_path: Path
) -> None:
    """A file whose name a document with other content holds comes in as ``name (2).pdf``; a
    folder whose name a document holds becomes ``name (2)``; a rerun finds both again."""
    storage = LocalStorage(tmp_path / "media")
    report = tmp_path / "report.pdf"
    report.write_bytes(samples.pdf_with_text(["this year's"]))
    options = {
        "max_bytes": 1 << 20,
        "limits": files.DEFAULT_LIMITS,
        "ocr": OcrSettings(automatic=False),
    }
    with db.session() as session:
        owner = create_user(session, username="gina", password="pw")
        session.commit()
        inbox = session.get_one(Folder, owner.inbox_folder_id)
        for title in ("report.pdf", "2024"):  # documents already there, other content
            create_document(session, inbox, title, lang="eng", ocr=False)
        runs = []
        for _run in range(2):
            folder_id = _folder(session, inbox.id, "2024")
            imported = [_import_file(session, storage, inbox.id, report, **options)]
            imported.append(_import_file(session, storage, folder_id, report, **options))
            runs.append(imported)
            titles = sorted(
                f"{node.parent_id == inbox.id}:{node.title}"
                for node in session.scalars(select(Node).where(Node.user_id == owner.id))
                if node.parent_id is not None
            )
            assert titles == [
                "False:report.pdf",
                "True:2024",
                "True:2024 (2)",
                "True:report (2).pdf",
                "True:report.pdf",
            ]
        # The first run imported both files; the second found them there.
        assert runs == [[True, True], [False, False]]
