"""Issues 2 and 16: folder listing latency at 10,000 documents, upload throughput.

Each figure comes with a baseline measured in the same run:
- listing, for pages near the start and near the end of the folder: the same page in raw SQL
  served by a bare FastAPI endpoint (``benchmarks.floor``), over HTTP like the API, the two
  asked in turn; and, for reference, that SQL alone timed in-process (the database's share);
- upload: staging, checksumming and fsync-renaming the same bytes in-process (the disk's floor).
  Beside it, when the work the uploads queued (previews, index) was all done: the embedded
  runner starts tasks in the lulls between requests, so a burst's work runs mostly after it.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pikepdf
from sqlalchemy import Connection, insert, select, text
from sqlalchemy import func as sql_func

from benchmarks.floor import PAGE_SQL, floor_server
from benchmarks.server import fresh_database, percentile, quire_server
from quire.core.db import Database, utcnow
from quire.core.documents import staged_upload
from quire.core.models import Document, DocumentVersion, Node, TaskRecord, TaskState
from quire.core.storage import LocalStorage, docver_key

FOLDER_SIZE = 10_000
PAGE_SIZE = 50
LIST_REQUESTS = 300
# The pages near each end of the folder, drawn from at random: OFFSET makes the last the dearer.
REGION_PAGES = 10
UPLOADS = 200
UPLOAD_CONCURRENCY = 4


@dataclass
class ListingFigures:
    region: str
    p50_ms: float
    p95_ms: float
    floor_p50_ms: float
    floor_p95_ms: float
    sql_p95_ms: float


@dataclass
class CoreFigures:
    backend: str
    listings: list[ListingFigures]
    uploads_per_s: float
    floor_uploads_per_s: float
    # The uploads' queued work (previews, index) all done: seconds after the last upload
    # answered, and documents/s from the first upload to that moment.
    drained_after_s: float
    processed_per_s: float


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
            insert_empty_versions(connection, ids, now)
        # What autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) does in production: the
        # planner needs statistics to pick the listing index over a sort.
        connection.execute(text("ANALYZE"))
    database.dispose()


def insert_empty_versions(
    connection: Connection, document_ids: list[uuid.UUID], now: datetime
) -> None:
    """Each document's first version, without a file: what a listing or a filing reads of it."""
    connection.execute(
        insert(DocumentVersion),
        [
            {
                "id": uuid.uuid4(),
                "document_id": document_id,
                "number": 1,
                "size": 0,
                "page_count": 0,
                "lang": "eng",
                "short_description": "",
                "created_at": now,
            }
            for document_id in document_ids
        ],
    )


def _sql_timings(database_url: str, folder_id: uuid.UUID, pages: list[int]) -> list[float]:
    """The floor endpoint's statement for each page, in this process: the database's part."""
    database = Database(database_url)
    timings = []
    with database.engine.connect() as connection:
        for page in pages:
            started = time.perf_counter()
            connection.execute(
                PAGE_SQL,
                {"folder": folder_id, "page_size": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE},
            ).all()
            timings.append((time.perf_counter() - started) * 1000)
    database.dispose()
    return timings


def _interleaved_timings(
    quire: httpx.Client, floor: httpx.Client, folder_id: uuid.UUID, pages: list[int]
) -> tuple[list[float], list[float]]:
    """Each page from Quire then from the floor, turn about: a change of the machine's load
    during the run weighs on both alike (measured one after the other, it did not)."""
    paths = ((quire, f"/api/nodes/{folder_id}"), (floor, f"/listing/{folder_id}"))
    timings: tuple[list[float], list[float]] = ([], [])
    for client, path in paths:
        client.get(path, params={"page_size": PAGE_SIZE}).raise_for_status()  # warm up
    for page in pages:
        for (client, path), measured in zip(paths, timings, strict=True):
            started = time.perf_counter()
            response = client.get(path, params={"page_size": PAGE_SIZE, "page_number": page})
            measured.append((time.perf_counter() - started) * 1000)
            assert len(response.json()["items"]) == PAGE_SIZE
    return timings


def _listing(
    url: str, quire: httpx.Client, folder_id: uuid.UUID, region: str, pages: list[int]
) -> ListingFigures:
    with floor_server(url) as base, httpx.Client(base_url=base, timeout=60) as floor:
        api, bare = _interleaved_timings(quire, floor, folder_id, pages)
    sql = _sql_timings(url, folder_id, pages)
    return ListingFigures(
        region=region,
        p50_ms=percentile(api, 0.5),
        p95_ms=percentile(api, 0.95),
        floor_p50_ms=percentile(bare, 0.5),
        floor_p95_ms=percentile(bare, 0.95),
        sql_p95_ms=percentile(sql, 0.95),
    )


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


def _drained(database_url: str) -> float:
    """Wait for the uploads' tasks to be done; returns when (``time.perf_counter``)."""
    database = Database(database_url)
    undone = select(sql_func.count()).where(
        TaskRecord.name.in_(UPLOAD_TASKS),
        TaskRecord.state.in_([TaskState.pending.value, TaskState.running.value]),
    )
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with database.session() as session:
                if not session.scalar(undone):
                    return time.perf_counter()
            time.sleep(0.05)
        raise AssertionError("the uploads' tasks were not done within 10 minutes")
    finally:
        database.dispose()


def _upload_all(base: str, headers: dict[str, str], documents: list[bytes]) -> tuple[float, float]:
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
        return started, time.perf_counter()


# The upload figures measure uploads: OCR of the uploaded documents is benchmarks/ocr.py's.
NO_OCR = {"QUIRE__OCR__AUTOMATIC": "false"}
# What an upload queues (OCR off).
UPLOAD_TASKS = ("previews", "index")


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
        last = FOLDER_SIZE // PAGE_SIZE
        regions = {
            "first pages": range(1, REGION_PAGES + 1),
            "last pages": range(last - REGION_PAGES + 1, last + 1),
        }
        listings = [
            _listing(url, client, folder_id, region, rng.choices(pages, k=LIST_REQUESTS))
            for region, pages in regions.items()
        ]

        documents = [one_page_pdf(f"benchmark document {i}") for i in range(UPLOADS)]
        started, uploaded = _upload_all(server.base, server.headers, documents)
        drained = _drained(url)
        client.close()
    floor = _storage_floor(workdir, documents)
    return CoreFigures(
        backend=backend,
        listings=listings,
        uploads_per_s=len(documents) / (uploaded - started),
        floor_uploads_per_s=floor,
        drained_after_s=drained - uploaded,
        processed_per_s=len(documents) / (drained - started),
    )
