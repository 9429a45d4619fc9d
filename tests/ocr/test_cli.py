"""``quire ocr``: bulk re-OCR queues one task per chosen document, with a progress bar."""

import uuid

import pytest
from sqlalchemy import update

from quire.core.models import Document
from tests import samples
from tests.helpers.cli import run_quire
from tests.ocr.helpers import ocr_tasks, upload
from tests.processes import clean_env


@pytest.fixture
def quire_ocr(database_url, db, tmp_path):
    env = clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
        QUIRE_CONFIG=str(tmp_path / "none.toml"),
    )

    def run(*args):
        return run_quire("ocr", *args, env=env)

    return run


def queued(db):
    return sorted((task.args["document_id"], task.args["lang"]) for task in ocr_tasks(db))


def test_all_missing_and_folder(db, alice, bob, quire_ocr):
    folder = alice.client.post(
        "/api/nodes/", json={"title": "old scans", "ctype": "folder", "parent_id": alice.home_id}
    ).json()
    inside = upload(alice, samples.pdf_with_text(["a"]), parent_id=folder["id"])
    done = upload(alice, samples.pdf_with_text(["b"]))
    theirs = upload(bob, samples.pdf_with_text(["c"]))
    with db.session() as session:
        session.execute(
            update(Document)
            .where(Document.id == uuid.UUID(done["id"]))
            .values(ocr_status="SUCCESS")
        )
        session.commit()

    missing = quire_ocr("--missing", "--lang", "deu+eng")
    assert missing.returncode == 0, missing.stderr
    assert "queued OCR for 2 document(s)" in missing.stderr
    assert queued(db) == sorted([(inside["id"], "deu+eng"), (theirs["id"], "deu+eng")])

    in_folder = quire_ocr("--folder", folder["id"])
    assert in_folder.returncode == 0, in_folder.stderr
    assert queued(db).count((inside["id"], "eng")) == 1

    everything = quire_ocr("--all")
    assert "queued OCR for 3 document(s)" in everything.stderr
    assert len(queued(db)) == 2 + 1 + 3


def test_refusals(db, quire_ocr):
    nothing = quire_ocr()
    assert nothing.returncode == 1
    assert "--all, --folder ID or --missing" in nothing.stderr
    unknown = quire_ocr("--all", "--lang", "xyz")
    assert unknown.returncode == 1
    assert "unknown OCR language 'xyz'; installed:" in unknown.stderr
    no_folder = quire_ocr("--folder", str(uuid.uuid4()))
    assert no_folder.returncode == 1
    assert "no folder with id" in no_folder.stderr
    assert ocr_tasks(db) == []
