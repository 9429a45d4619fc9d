"""Issue 17: page operations. One ``POST /api/pages/`` on a 50-page PDF (scan-like pages: a
JPEG and a line of text each) that reorders (reverses), rotates (every third page by 90) and
deletes (every tenth page) in one request, through a real ``quire serve`` on SQLite; the
figure is the request's wall time, median of RUNS, each on a newly uploaded document.

Its floor: copying the same file on the same disk, fsynced (what storing any new version of it
costs at least). Each new version is checked (pages, order, rotation) before it counts.
Background tasks are off in the server: its previews task would take the cores the next
request is timed on. ``python -m benchmarks.page_operations`` runs it alone; target < 2 s.
"""

from __future__ import annotations

import io
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import pikepdf
from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table

from benchmarks.server import fresh_database, quire_server

PAGES = 50
RUNS = 5
TARGET_SECONDS = 2.0
ENV = {"QUIRE__OCR__AUTOMATIC": "false", "QUIRE__TASKS__RUN_EMBEDDED": "false"}


def scanned_pdf(pages: int = PAGES) -> bytes:
    """A4 pages, each a 150 dpi greyscale JPEG with its number, and the number as text."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for number in range(1, pages + 1):
        picture = Image.new("L", (1240, 1754), 250)
        draw = ImageDraw.Draw(picture)
        for line in range(40):
            draw.text((100, 100 + 40 * line), f"page {number} line {line} " * 6, fill=20)
        jpeg = io.BytesIO()
        picture.save(jpeg, format="JPEG", quality=70)
        image = pikepdf.Stream(pdf, jpeg.getvalue())
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = 1240, 1754, 8
        image.ColorSpace, image.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.DCTDecode
        content = f"q 595 0 0 842 0 0 cm /Im0 Do Q BT /F1 12 Tf 72 800 Td (p{number}) Tj ET"
        resources = pikepdf.Dictionary(
            Font=pikepdf.Dictionary(F1=font), XObject=pikepdf.Dictionary(Im0=image)
        )
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, 595, 842],
            Resources=resources,
            Contents=pdf.make_stream(content.encode()),
        )
        pdf.pages.append(pikepdf.Page(page))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def operations(pages: list[dict[str, object]]) -> list[dict[str, object]]:
    """Reversed, every tenth page left out, every third kept page turned by 90 degrees."""
    kept = [page for page in reversed(pages) if int(str(page["number"])) % 10]
    return [
        {"page": {"id": page["id"], "number": page["number"]}, "angle": 90 if i % 3 == 0 else 0}
        for i, page in enumerate(kept)
    ]


def _check(data: bytes, body: list[dict[str, object]], texts: list[str]) -> None:
    """The new version has the pages asked for, in order, turned as asked."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        rotations = [int(page.obj.get("/Rotate", 0)) for page in pdf.pages]
    assert rotations == [item["angle"] for item in body], rotations
    numbers = [f"p{item['page']['number']}" for item in body]  # type: ignore[index]
    assert texts == numbers, texts


def _copy_floor(data: bytes, workdir: Path) -> float:
    source = workdir / "source.pdf"
    source.write_bytes(data)
    times = []
    for run in range(RUNS):
        started = time.perf_counter()
        target = workdir / f"copy-{run}.pdf"
        shutil.copyfile(source, target)
        with target.open("rb") as handle:
            os.fsync(handle.fileno())
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _request_times(client: httpx.Client, data: bytes, home_id: str) -> list[float]:
    times = []
    for run in range(RUNS):
        upload = ("fifty.pdf", data, "application/pdf")
        created = client.post(
            "/api/documents/upload",
            files={"file": upload},
            data={"title": f"fifty-{run}.pdf", "parent_id": home_id},
        )
        created.raise_for_status()
        body = operations(created.json()["versions"][-1]["pages"])
        started = time.perf_counter()
        response = client.post("/api/pages/", json=body)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        version = response.json()["versions"][-1]
        _check(
            client.get(version["download_url"]).content, body, [p["text"] for p in version["pages"]]
        )
    return times


def run(workdir: Path) -> tuple[list[float], float, int]:
    data = scanned_pdf()
    with (
        fresh_database("sqlite", workdir) as url,
        quire_server(url, workdir / "data", extra_env=ENV) as server,
        httpx.Client(base_url=server.base, headers=server.headers, timeout=120) as client,
    ):
        home_id = client.get("/api/users/me").json()["home_folder_id"]
        times = _request_times(client, data, home_id)
    return times, _copy_floor(data, workdir), len(data)


def report(console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="quire-bench-") as workdir:
        times, floor, size = run(Path(workdir))
    table = Table(
        title=f"Page operations: POST /api/pages/ on a {PAGES}-page PDF ({size / 1e6:.1f} MB):"
        " reorder + rotate + delete in one request, beside copying the file (the floor)"
    )
    for column in ("request p50 s", "request max s", "copy floor s", "p50 / floor"):
        table.add_column(column, justify="right")
    p50 = statistics.median(times)
    table.add_row(f"{p50:.3f}", f"{max(times):.3f}", f"{floor:.4f}", f"{p50 / floor:.1f}x")
    console.print(table)
    console.print(
        f"target (issue 17): < {TARGET_SECONDS:.0f} s per request. Load average now: "
        f"{os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    report(Console(width=180))
