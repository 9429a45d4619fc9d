"""OCR: plain ``ocrmypdf`` against Quire's pipeline, end to end, on the same 10-page scan.

- plain: the ``ocrmypdf`` command (a subprocess) with the settings Quire uses;
- Quire: upload through the API of a real ``quire serve`` (embedded runner, automatic OCR,
  embedded search) until search finds a word that only the OCR'd text of the last page has.

For ``OCR__JOBS`` = 1 and 2: both times, the ratio Quire / plain OCRmyPDF (the target: at most
1.10), the output size against the input (the target: at most 1.5x) and pages per minute.

The client watches lightly: the server it asks shares the two cores with the OCR it measures.
It asks for the document's OCR status every ``STATUS_POLL_SECONDS`` and, once the OCR'd version
is stored, searches every ``SEARCH_POLL_SECONDS`` until the index has its text. (A search and a
status request every 20 ms throughout cost the server about 13 ms of CPU per round, some 5 s of
CPU per run, which came out of the OCR's cores and counted as Quire's overhead.) Both polls can
only be late, never early: the figure errs against Quire, by at most the status interval.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import img2pdf
from PIL import Image, ImageDraw, ImageFont
from rich.console import Console
from rich.table import Table

from benchmarks.server import fresh_database, quire_server

PAGES = 10
DPI = 300
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
REPEATS = 5
# One word per run that OCR reads reliably and that no other page of the benchmark has.
MARKERS = [
    "walrus",
    "pelican",
    "giraffe",
    "octopus",
    "flamingo",
    "penguin",
    "buffalo",
    "dolphin",
    "hedgehog",
    "kangaroo",
]
JOBS = (1, 2)
PAGE_TIMEOUT = 180
TARGET_RATIO = 1.10
STATUS_POLL_SECONDS = 0.25
SEARCH_POLL_SECONDS = 0.02
LINES = [
    "Quarterly report of the paper archive",
    "Invoices received and filed this quarter",
    "Delivery notes matched against orders",
    "Contracts renewed with the suppliers",
    "Scanned letters from the tax office",
]


@dataclass
class OcrFigures:
    jobs: int
    plain_s: float
    quire_s: float
    # The median of each run's Quire / plain (the two taken back to back, under the same load).
    ratio: float
    input_bytes: int
    output_bytes: int

    @property
    def size_ratio(self) -> float:
        return self.output_bytes / self.input_bytes

    @property
    def pages_per_minute(self) -> float:
        return PAGES * 60 / self.quire_s


def scan(pages: int = PAGES, marker: str = "") -> bytes:
    """A grayscale A4 scan at 300 dpi, a dozen lines of text per page, no text layer; the last
    page ends with ``marker``."""
    font = ImageFont.truetype(FONT, 48)
    images = []
    for number in range(1, pages + 1):
        page = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(page)
        draw.text((200, 200), f"Page {number} of {pages}", font=font, fill=0)
        for line in range(12):
            draw.text((200, 400 + 200 * line), LINES[(line + number) % 5], font=font, fill=0)
        if number == pages and marker:
            draw.text((200, 3000), marker, font=font, fill=0)
        buffer = io.BytesIO()
        page.save(buffer, format="PNG", dpi=(DPI, DPI))
        images.append(buffer.getvalue())
    data = img2pdf.convert(images)
    assert isinstance(data, bytes)
    return data


def plain_ocrmypdf(source: Path, output: Path, jobs: int) -> float:
    """The ``ocrmypdf`` command with Quire's default settings; seconds it took.

    The command lowers its own priority (nice +5), as Quire's OCR process does.
    """
    command = [
        *(sys.executable, "-m", "ocrmypdf"),
        *("--skip-text", "--output-type", "pdf", "--optimize", "1", "--quiet"),
        *("--jobs", str(jobs), "--tesseract-timeout", str(PAGE_TIMEOUT), "-l", "eng"),
        *(str(source), str(output)),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def quire_pipeline(client: httpx.Client, data: bytes, marker: str) -> tuple[float, int]:
    """Upload to the OCR'd text being found by search; seconds it took and the OCR'd file's size.

    ``marker`` is a word printed on the scan's last page and nowhere else in the index.
    """
    started = time.perf_counter()
    # A title per upload: one title per folder (Papermerge's rule) refuses a second "scan.pdf".
    response = client.post(
        "/api/documents/upload", files={"file": (f"scan-{marker}.pdf", data, "application/pdf")}
    )
    response.raise_for_status()
    document_id = response.json()["id"]
    while True:
        status = client.get("/api/documents/ocr-status/", params={"doc_ids": [document_id]})
        state = status.json()[0]
        if state["status"] == "SUCCESS":
            break
        if state["status"] == "FAILURE":
            raise RuntimeError(f"OCR failed: {state['error']}")
        time.sleep(STATUS_POLL_SECONDS)
    while True:
        found = client.get("/api/search/", params={"q": marker}).json()["items"]
        if [item["id"] for item in found] == [document_id]:
            break
        time.sleep(SEARCH_POLL_SECONDS)
    elapsed = time.perf_counter() - started
    version = client.get(f"/api/documents/{document_id}").json()["versions"][-1]
    texts = [page["text"] for page in version["pages"]]
    assert len(texts) == PAGES, texts
    assert all(f"Page {n} of {PAGES}" in text for n, text in enumerate(texts, start=1)), texts
    return elapsed, version["size"]


def run_jobs(jobs: int, workdir: Path) -> OcrFigures:
    """Plain and Quire runs taken in turns, so that a change in the machine's load hits both."""
    env = {"QUIRE__OCR__JOBS": str(jobs), "QUIRE__OCR__AUTOMATIC": "true"}
    plain: list[float] = []
    quire: list[float] = []
    with (
        fresh_database("sqlite", workdir) as url,
        quire_server(url, workdir / f"data-{jobs}", workers=1, extra_env=env) as server,
        httpx.Client(base_url=server.base, headers=server.headers, timeout=600) as client,
    ):
        for repeat in range(REPEATS):
            marker = MARKERS[(jobs - 1) * REPEATS + repeat]
            data = scan(marker=marker)
            source = workdir / f"scan-{repeat}.pdf"
            source.write_bytes(data)
            plain.append(plain_ocrmypdf(source, workdir / f"plain-{repeat}.pdf", jobs))
            seconds, size = quire_pipeline(client, data, marker)
            quire.append(seconds)
    return OcrFigures(
        jobs=jobs,
        plain_s=statistics.median(plain),
        quire_s=statistics.median(quire),
        ratio=statistics.median(q / p for q, p in zip(quire, plain, strict=True)),
        input_bytes=len(data),
        output_bytes=size,
    )


def run(workdir: Path) -> list[OcrFigures]:
    figures = []
    for jobs in JOBS:
        directory = workdir / f"ocr-{jobs}"
        directory.mkdir()
        figures.append(run_jobs(jobs, directory))
    return figures


def report(console: Console) -> None:
    """Run the OCR benchmark and print its table (called by ``python -m benchmarks``)."""
    console.print(f"running OCR benchmark ({PAGES}-page scan, median of {REPEATS}) ...")
    with tempfile.TemporaryDirectory(prefix="quire-bench-ocr-") as workdir:
        figures = run(Path(workdir))
    table = Table(title=f"OCR: plain ocrmypdf vs Quire end to end ({PAGES}-page 300 dpi scan)")
    for column in (
        "OCR__JOBS",
        "ocrmypdf s",
        "Quire s",
        "Quire / ocrmypdf",
        "output / input size",
        "Quire pages/min",
    ):
        table.add_column(column, justify="right")
    for f in figures:
        table.add_row(
            str(f.jobs),
            f"{f.plain_s:.2f}",
            f"{f.quire_s:.2f}",
            f"{f.ratio:.2f}",
            f"{f.size_ratio:.2f}x",
            f"{f.pages_per_minute:.0f}",
        )
    console.print(table)
    console.print(
        f"targets: Quire / plain OCRmyPDF <= {TARGET_RATIO:.2f} (the median of each run's ratio); "
        "output <= 1.5x the input"
    )


if __name__ == "__main__":
    report(Console(width=180))
