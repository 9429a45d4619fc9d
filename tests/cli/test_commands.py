"""The ``quire`` command, run as a real process against each database backend."""

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quire.core.models import Document, DocumentVersion, Folder, User
from tests import samples
from tests.helpers import cli


@pytest.fixture
def run_quire(database_url, db, tmp_path):
    """Run ``quire ...`` with the test database and a media root of its own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QUIRE__", "PAPERMERGE__"))
    }
    env.update(
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
        QUIRE_CONFIG=str(tmp_path / "none.toml"),
    )

    def run(*args, password=None, check=True):
        extra = {"QUIRE_PASSWORD": password} if password else {}
        result = cli.run_quire(*args, env={**env, **extra})
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


def test_createsuperuser_and_users_commands(run_quire, db):
    run_quire("createsuperuser", "--username", "root", password="s3cret")
    run_quire("users", "create", "carol", "--email", "c@example.com", password="pw")
    listing = run_quire("users", "list")
    assert "root" in listing.stderr
    assert "carol" in listing.stderr
    taken = run_quire("users", "create", "carol", password="pw", check=False)
    assert taken.returncode == 1
    assert "already taken" in taken.stderr
    with db.session() as session:
        carol = session.scalar(select(User).where(User.username == "carol"))
        assert carol is not None
        assert carol.home_folder_id is not None
        assert carol.inbox_folder_id is not None
    run_quire("users", "delete", "carol", "--yes")
    with db.session() as session:
        assert session.scalar(select(User).where(User.username == "carol")) is None


def _tree(root: Path) -> None:
    (root / "2024" / "taxes").mkdir(parents=True)
    (root / "2024" / "taxes" / "return.pdf").write_bytes(samples.pdf_with_text(["tax return"]))
    (root / "2024" / "receipt.jpg").write_bytes(samples.image("JPEG"))
    (root / "letter.pdf").write_bytes(samples.pdf_with_text(["dear reader"]))
    (root / "notes.txt").write_text("not a document")


def test_import_mirrors_folders_and_is_resumable(run_quire, db, tmp_path):
    run_quire("users", "create", "dave", password="pw")
    source = tmp_path / "scans"
    _tree(source)
    first = run_quire("import", str(source), "--user", "dave", "--target", "home")
    assert "imported 3, already there 0" in first.stderr
    again = run_quire("import", str(source), "--user", "dave", "--target", "home")
    assert "imported 0, already there 3" in again.stderr

    (source / "2024" / "taxes" / "late.pdf").write_bytes(samples.pdf_with_text(["late"]))
    resumed = run_quire("import", str(source), "--user", "dave", "--target", "home")
    assert "imported 1, already there 3" in resumed.stderr

    with db.session() as session:
        dave = session.scalar(select(User).where(User.username == "dave"))
        folders = set(session.scalars(select(Folder.title).where(Folder.user_id == dave.id)))
        assert folders == {"home", "inbox", "trash", "2024", "taxes"}
        taxes = session.scalar(select(Folder).where(Folder.title == "taxes"))
        titles = set(session.scalars(select(Document.title).where(Document.parent_id == taxes.id)))
        assert titles == {"return.pdf", "late.pdf"}
        texts = session.scalars(
            select(DocumentVersion).where(DocumentVersion.file_name == "return.pdf")
        )
        assert next(iter(texts)).pages[0].text == "tax return"
        assert session.scalar(select(func.count()).select_from(Document)) == 4


def test_import_reports_bad_files_and_exits_non_zero(run_quire, tmp_path):
    run_quire("users", "create", "erin", password="pw")
    source = tmp_path / "mixed"
    source.mkdir()
    (source / "good.pdf").write_bytes(samples.pdf_with_text(["fine"]))
    (source / "bad.pdf").write_bytes(samples.corrupt_pdf())
    (source / "locked.pdf").write_bytes(samples.encrypted_pdf())
    result = run_quire("import", str(source), "--user", "erin", check=False)
    assert result.returncode == 2
    assert "imported 1, already there 0, rejected 2" in result.stderr
    assert "encrypted" in result.stderr


def test_import_bad_arguments(run_quire, tmp_path):
    missing = run_quire("import", str(tmp_path / "nope"), check=False)
    assert missing.returncode != 0
    assert "does not exist" in missing.stderr
    nobody = run_quire("import", str(tmp_path), "--user", "ghost", check=False)
    assert nobody.returncode == 1
    assert "no user named 'ghost'" in nobody.stderr


def test_migrate_is_idempotent(run_quire):
    assert "up to date" in run_quire("migrate").stderr
    assert "up to date" in run_quire("migrate").stderr
