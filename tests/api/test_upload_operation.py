"""``core.uploads.store_upload``, the upload every entry point calls: two uploads racing for the
same version number end in one version and one ``UploadConflict``, with no file of the loser."""

from pathlib import Path

import pytest
from sqlalchemy import select

from quire.core import files
from quire.core.config import OcrSettings
from quire.core.db import Database
from quire.core.documents import new_document, staged_upload
from quire.core.models import Document, DocumentVersion, Folder
from quire.core.storage import LocalStorage
from quire.core.uploads import UploadConflict, import_document, store_upload
from quire.core.users import create_user
from tests import samples

NO_OCR = OcrSettings(automatic=False)


def _store(db_session, storage: LocalStorage, document: Document, text: str) -> None:  # type: ignore[no-untyped-def]
    source = Path(storage.root.parent / f"{text}.pdf")
    source.write_bytes(samples.pdf_with_text([text]))
    with source.open("rb") as stream, staged_upload(storage, stream, max_bytes=1 << 20) as staged:
        path, size, sha256 = staged
        store_upload(
            db_session,
            storage,
            document,
            path,
            file_name=source.name,
            size=size,
            sha256=sha256,
            ocr=NO_OCR,
            limits=files.DEFAULT_LIMITS,
        )


def test_the_later_of_two_racing_uploads_is_a_conflict_and_leaves_no_file(
    db: Database, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path / "media")  # made by the db fixture
    with db.session() as session:
        user = create_user(session, username="gina", password="pw")
        assert user.home_folder_id is not None
        home = session.get_one(Folder, user.home_folder_id)
        document = new_document(session, title="letter", parent=home)
        _store(session, storage, document, "first")
        document_id = document.id
    with db.session() as first, db.session() as second:
        # Both read the document while its newest version is 1: both will store number 2.
        mine, theirs = first.get(Document, document_id), second.get(Document, document_id)
        assert mine is not None
        assert theirs is not None
        assert len(mine.versions) == len(theirs.versions) == 1
        _store(first, storage, mine, "second")
        with pytest.raises(UploadConflict):
            _store(second, storage, theirs, "third")
    with db.session() as session:
        versions = session.scalars(select(DocumentVersion).order_by(DocumentVersion.number)).all()
        assert [v.file_name for v in versions] == ["first.pdf", "second.pdf"]
        kept = {f"{v.id}/{v.file_name}" for v in versions}
    stored = {
        f"{p.parent.name}/{p.name}" for p in (storage.root / "docvers").rglob("*") if p.is_file()
    }
    assert stored == kept


def test_two_imports_racing_for_one_title_conflict_and_leave_no_file(
    db: Database, tmp_path: Path
) -> None:
    """The document's rows wait for the upload's flush: the later of two uploads that both
    found the title free breaks the folder's unique title there, and nothing of it stays."""
    storage = LocalStorage(tmp_path / "media")  # made by the db fixture
    with db.session() as session:
        user = create_user(session, username="hana", password="pw")
        session.commit()
        folder_id = user.home_folder_id
    with db.session() as first, db.session() as second:
        mine = import_document(first, first.get_one(Folder, folder_id), title="scan", lang="eng")
        theirs = import_document(
            second, second.get_one(Folder, folder_id), title="scan", lang="eng"
        )
        assert mine.title == theirs.title == "scan"
        _store(first, storage, mine, "first")
        with pytest.raises(UploadConflict):
            _store(second, storage, theirs, "second")
    with db.session() as session:
        titles = session.scalars(select(Document.title).where(Document.parent_id == folder_id))
        assert list(titles) == ["scan"]
    stored = [p for p in (storage.root / "docvers").rglob("*") if p.is_file()]
    assert len(stored) == 1
