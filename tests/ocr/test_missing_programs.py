"""Without Tesseract or Ghostscript on PATH, Quire says so at start and OCR fails at once.

Before, each upload's OCR task failed with "No such file or directory: 'tesseract'" and was
retried, quietly, until its attempts ran out. A real ``quire serve`` whose PATH has Python but
neither program shows what a fresh machine shows.
"""

import shutil
import sys
from pathlib import Path

import httpx
import pytest

from quire.core.ocr import OcrProgramsMissing, check_ocr_programs
from tests import samples
from tests.processes import clean_env, quire_serve, wait_for

SENTENCE = (
    "OCR cannot run: tesseract (Tesseract) and gs (Ghostscript) not found on PATH; install with "
    "`apt-get install tesseract-ocr tesseract-ocr-eng ghostscript` (or set OCR__AUTOMATIC=false)"
)


def path_with(tmp_path: Path, *programs: str) -> str:
    """A PATH of one directory holding Python and the named programs (symlinks to the real)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    for program in programs:
        found = shutil.which(program)
        assert found, f"the test machine needs {program}"
        (bin_dir / program).symlink_to(found)
    return str(bin_dir)


def test_the_sentence_names_only_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_with(tmp_path, "tesseract"))
    with pytest.raises(OcrProgramsMissing) as missing:
        check_ocr_programs()
    assert "gs (Ghostscript) not found" in str(missing.value)
    assert "tesseract (Tesseract)" not in str(missing.value)


def test_both_present_is_fine(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", path_with(tmp_path, "tesseract", "gs"))
    check_ocr_programs()


def _signed_in(base: str) -> dict[str, str]:
    response = httpx.post(f"{base}/api/token", json={"username": "admin", "password": "pw"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _ocr_task(base: str, headers: dict[str, str]) -> dict[str, object] | None:
    tasks = httpx.get(f"{base}/api/tasks/", headers=headers).json()["items"]
    return next((task for task in tasks if task["name"] == "ocr"), None)


def test_serve_warns_at_start_and_the_ocr_task_fails_once(tmp_path):
    env = clean_env(
        tmp_path,
        PATH=path_with(tmp_path),
        QUIRE__AUTH__PASSWORD="pw",
        QUIRE__SECURITY__SECRET_KEY="missing-programs",
        QUIRE__TASKS__MAX_ATTEMPTS="5",
    )
    assert "QUIRE__OCR__AUTOMATIC" not in env  # the default: every upload is OCR'd
    log = tmp_path / "serve.log"
    with quire_serve(env, log) as server:
        assert SENTENCE in server.process.output()
        headers = _signed_in(server.base)
        scan = samples.scanned_pdf(["Quittung"])
        uploaded = httpx.post(
            f"{server.base}/api/documents/upload",
            headers=headers,
            files={"file": ("scan.pdf", scan, "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text

        def ended() -> dict[str, object] | None:
            task = _ocr_task(server.base, headers)
            return task if task and task["state"] in ("failed", "succeeded") else None

        task = wait_for(ended, 60, "the OCR task to end")
        document_id = uploaded.json()["id"]
        status = httpx.get(
            f"{server.base}/api/documents/ocr-status/",
            params={"doc_ids": document_id},
            headers=headers,
        ).json()
    assert isinstance(task, dict)
    assert (task["state"], task["attempts"]) == ("failed", 1)
    assert SENTENCE in str(task["last_error"])
    assert status == [{"doc_id": document_id, "status": "FAILURE", "error": SENTENCE}]
