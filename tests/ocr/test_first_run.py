"""The README's first command, ``make run``, gives the whole product: OCR and search included.

The test runs ``make run`` itself, as the README says, on a data directory of its own, and uploads
a scan with no text layer: search must find it by a word that only OCR can have read. On a
machine without Tesseract or Ghostscript ``make run`` installs them first (as root; else it stops
with the command to run), so this holds on a fresh Debian 12 too.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests import samples
from tests.processes import clean_env, free_port, wait_for

REPO = Path(__file__).resolve().parents[2]
WORD = "Quittungsbeleg"


def test_make_run_serves_quire_with_ocr_and_search(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "make-run.log"
    base = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        make = subprocess.Popen(
            # VENV: this interpreter's, which `make test` made (one venv per clone).
            [
                "make",
                "--no-print-directory",
                "run",
                f"PORT={port}",
                f"DATA={tmp_path / 'data'}",
                f"VENV={sys.prefix}",
            ],
            cwd=REPO,
            env=clean_env(tmp_path),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def answers() -> bool:
            assert make.poll() is None, f"make run exited early:\n{log.read_text()}"
            try:
                return httpx.get(f"{base}/api/probe/", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, 120, "make run to serve Quire")
        token = httpx.post(
            f"{base}/api/token", data={"username": "admin", "password": "admin"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        scan = samples.scanned_pdf([WORD])
        uploaded = httpx.post(
            f"{base}/api/documents/upload",
            headers=headers,
            files={"file": ("receipt.pdf", scan, "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text

        def found() -> list[str]:
            hits = httpx.get(f"{base}/api/search/", params={"q": WORD}, headers=headers).json()
            return [item["id"] for item in hits["items"]]

        assert wait_for(found, 180, f"search to find {WORD!r}") == [uploaded.json()["id"]]
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        make.wait(timeout=30)
