"""Issue 2's figures: folder listing latency at 10,000 documents, upload throughput.

Each figure comes with a baseline measured in the same run:
- listing: the raw SQL for the same page, timed in-process (the database's floor);
- upload: staging, checksumming and fsync-renaming the same bytes in-process (the disk's floor).
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pikepdf
from sqlalchemy import insert, select, text

from benchmarks.server import fresh_database, percentile, quire_server
from quire.core.db import Database, utcnow
from quire.core.documents import staged_upload
from quire.core.models import Document, DocumentVersion, Node
from quire.core.storage import LocalStorage, docver_key

FOLDER_SIZE = 10_000
PAGE_SIZE = 50
LIST_REQUESTS = 300
UPLOADS = 200
UPLOAD_CONCURRENCY = 4


@dataclass
class CoreFigures:
    backend: str
    list_p50_ms: float
    list_p95_ms: float
    sql_p50_ms: float
    sql_p95_ms: float
    uploads_per_s: float
    floor_uploads_per_s: float


def one_page_pdf(label: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].Contents = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td ({label}) Tj ET".encode())
    pdf.pages[0].Resources = pikepdf.Dictionary(
        Font=pikepdf.Dictionary(
            F1=pikepdf.Dictionary(
                Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
            )
        )
    )
    path = Path(tempfile.mkstemp(suffix=".pdf")[1])
    pdf.save(path)
    data = path.read_bytes()
    path.unlink()
    return data


def _fill_folder(database_url: str, folder_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """10,000 documents straight into the database: the listing is measured, not the filling."""
    database = Database(database_url)
    now = utcnow()
    with database.engine.begin() as connection:
        for start in range(0, FOLDER_SIZE, 1000):
            ids = [uuid.uuid4() for _ in range(1000)]
            connection.execute(
                insert(Node),
                [
                    {
                        "id": i,
                        "title": f"Document {start + n:05d}",
                        "ctype": "document",
                        "lang": "eng",
                        "user_id": user_id,
                        "parent_id": folder_id,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n, i in enumerate(ids)
                ],
            )
            connection.execute(
                insert(Document.__table__),
                [{"id": i, "ocr": True, "ocr_status": "UNKNOWN"} for i in ids],
            )
            connection.execute(
                insert(DocumentVersion),
                [
                    {
                        "id": uuid.uuid4(),
                        "document_id": i,
                        "number": 1,
                        "size": 0,
                        "page_count": 0,
                        "lang": "eng",
                        "short_description": "",
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
        # What autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) does in production: the
        # planner needs statistics to pick the listing index over a sort.
        connection.execute(text("ANALYZE"))
    database.dispose()


def _sql_floor(database_url: str, folder_id: uuid.UUID, pages: list[int]) -> list[float]:
    database = Database(database_url)
    timings = []
    with database.session() as session:
        for page in pages:
            started = time.perf_counter()
            list(
                session.execute(
                    select(Node.id, Node.title, Node.ctype)
                    .where(Node.parent_id == folder_id)
                    .order_by(Node.ctype.desc(), Node.title, Node.created_at, Node.id)
                    .limit(PAGE_SIZE)
                    .offset((page - 1) * PAGE_SIZE)
                )
            )
            timings.append((time.perf_counter() - started) * 1000)
    database.dispose()
    return timings


def _storage_floor(workdir: Path, documents: list[bytes]) -> float:
    storage = LocalStorage(workdir / "floor")
    started = time.perf_counter()
    for data in documents:
        with tempfile.SpooledTemporaryFile() as source:
            source.write(data)
            source.seek(0)
            with staged_upload(storage, source, max_bytes=1 << 30) as (staged, _, _):
                storage.put_file(docver_key(uuid.uuid4(), "doc.pdf"), staged)
    return len(documents) / (time.perf_counter() - started)


def _upload_all(base: str, headers: dict[str, str], documents: list[bytes]) -> float:
    # One client shared by the threads: creating an httpx client costs more than an upload.
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:

        def upload(number: int, data: bytes) -> None:
            # A title of its own: one title per folder (Papermerge's rule) refuses a second one.
            upload_file = (f"doc-{number:05d}.pdf", data, "application/pdf")
            response = client.post("/api/documents/upload", files={"file": upload_file})
            response.raise_for_status()

        started = time.perf_counter()
        with ThreadPoolExecutor(UPLOAD_CONCURRENCY) as pool:
            list(pool.map(upload, range(len(documents)), documents))
        return len(documents) / (time.perf_counter() - started)


# The upload figures measure uploads: OCR of the uploaded documents is benchmarks/ocr.py's.
NO_OCR = {"QUIRE__OCR__AUTOMATIC": "false"}


def run(backend: str, workdir: Path) -> CoreFigures:
    with (
        fresh_database(backend, workdir) as url,
        quire_server(url, workdir / backend, extra_env=NO_OCR) as server,
    ):
        client = httpx.Client(base_url=server.base, headers=server.headers, timeout=60)
        me = client.get("/api/users/me").json()
        folder = client.post(
            "/api/nodes/",
            json={"title": "big", "ctype": "folder", "parent_id": me["home_folder_id"]},
        ).json()
        folder_id, user_id = uuid.UUID(folder["id"]), uuid.UUID(me["id"])
        _fill_folder(url, folder_id, user_id)

        rng = random.Random(7)
        pages = [rng.randint(1, FOLDER_SIZE // PAGE_SIZE) for _ in range(LIST_REQUESTS)]
        client.get(f"/api/nodes/{folder_id}", params={"page_size": PAGE_SIZE})  # warm up
        timings = []
        for page in pages:
            started = time.perf_counter()
            response = client.get(
                f"/api/nodes/{folder_id}", params={"page_size": PAGE_SIZE, "page_number": page}
            )
            timings.append((time.perf_counter() - started) * 1000)
            assert len(response.json()["items"]) == PAGE_SIZE
        sql = _sql_floor(url, folder_id, pages)

        documents = [one_page_pdf(f"benchmark document {i}") for i in range(UPLOADS)]
        uploads_per_s = _upload_all(server.base, server.headers, documents)
        client.close()
    floor = _storage_floor(workdir, documents)
    return CoreFigures(
        backend=backend,
        list_p50_ms=percentile(timings, 0.5),
        list_p95_ms=percentile(timings, 0.95),
        sql_p50_ms=percentile(sql, 0.5),
        sql_p95_ms=percentile(sql, 0.95),
        uploads_per_s=uploads_per_s,
        floor_uploads_per_s=floor,
    )
