"""Finding 2 in a real process: the previews task's peak memory does not grow with the pages.

Before, every page's image was rendered into a list before any was stored: this test's 400
A4 pages peaked at 904 MB. Now a page is stored as soon as it is drawn: 117 MB.
"""

import subprocess
import sys

from sqlalchemy import select

from quire.core.models import TaskRecord
from tests.hardening import hostile
from tests.processes import clean_env

PAGES = 400
# The interpreter with Quire, SQLAlchemy, pdfium and Pillow imported is about 100 MB; one
# page at the eager sizes adds a few. Rendering every page first took 904 MB.
PEAK_RSS_BOUND_MB = 200

RUN_ONE_TASK = """
import re, sys, uuid
from pathlib import Path
from quire.core.config import Settings
from quire.core.db import Database
from quire.core.storage import open_storage
from quire.core.tasks.execute import execute

settings = Settings()
state = execute(Database(settings.database_url), open_storage(settings), settings,
                uuid.UUID(sys.argv[1]))
# VmHWM: this program's peak resident memory (ru_maxrss would keep the parent's from before
# the exec).
peak_kb = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(state, int(peak_kb) // 1024)
"""


def test_previews_of_a_long_document_stream_page_by_page(app, db, alice, database_url, tmp_path):
    response = alice.client.post(
        "/api/documents/upload",
        files={"file": ("long.pdf", hostile.many_pages_pdf(PAGES), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    with db.session() as session:
        (task_id,) = session.scalars(select(TaskRecord.id).where(TaskRecord.name == "previews"))
    env = clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
        QUIRE__MAIN__MEDIA_ROOT=str(app.state.storage.root),
        QUIRE__SECURITY__SECRET_KEY="render-memory-" + "k" * 40,
        # The document is at the limit: the largest the task is ever asked to draw.
        QUIRE__MAIN__MAX_PAGES_PER_DOCUMENT=str(PAGES),
    )
    done = subprocess.run(
        [sys.executable, "-c", RUN_ONE_TASK, str(task_id)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    state, peak_mb = done.stdout.split()
    assert state == "succeeded", done.stderr
    assert int(peak_mb) < PEAK_RSS_BOUND_MB, f"peak RSS {peak_mb} MB"
    stored = list(app.state.storage.root.glob("previews/**/*.jpg"))
    assert len(stored) == 2 * PAGES
