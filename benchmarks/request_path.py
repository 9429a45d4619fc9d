"""Issue 16's per-request floor: representative endpoints beside a bare FastAPI endpoint.

Both servers run the same way in the same run: one uvicorn worker in its own process, asked by
one client on a kept-alive connection, one request at a time. The bare endpoint
(``GET /ping`` of ``benchmarks.floor``, a plain ``def``) is what any FastAPI service pays; the
ratio says how much Quire adds on top (authentication, the database, its own work).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from benchmarks.core import one_page_pdf
from benchmarks.floor import floor_server
from benchmarks.server import (
    fresh_database,
    percentile,
    quire_server,
)

WARM_UP = 50
REQUESTS = 500
# A word of the documents below, for the search.
WORD = "quenelle"
PDF = "application/pdf"


@dataclass
class Latency:
    endpoint: str
    p50_ms: float
    p95_ms: float


def measure(client: httpx.Client, path: str, label: str) -> Latency:
    for _ in range(WARM_UP):
        client.get(path).raise_for_status()
    timings = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return Latency(label, percentile(timings, 0.5), percentile(timings, 0.95))


def _wait_until_found(client: httpx.Client, document_id: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items = client.get("/api/search/", params={"q": WORD}).json()["items"]
        if any(item["id"] == document_id for item in items):
            return
        time.sleep(0.2)
    raise RuntimeError("the uploaded document was not indexed within 60 s")


def quire_latencies(backend: str, workdir: Path) -> list[Latency]:
    """The endpoints on a folder of a few documents, one indexed for the search."""
    no_ocr = {"QUIRE__OCR__AUTOMATIC": "false"}
    with (
        fresh_database(backend, workdir) as url,
        quire_server(url, workdir / backend, workers=1, extra_env=no_ocr) as server,
        httpx.Client(base_url=server.base, headers=server.headers, timeout=30) as client,
    ):
        home = client.get("/api/users/me").json()["home_folder_id"]
        client.post("/api/tags/", json={"name": "invoice", "bg_color": "#c41fff"})
        document_id = ""
        for number in range(5):
            response = client.post(
                "/api/documents/upload",
                files={"file": (f"d{number}.pdf", one_page_pdf(f"{WORD} {number}"), PDF)},
                data={"parent_id": home},
            )
            response.raise_for_status()
            document_id = response.json()["id"]
        _wait_until_found(client, document_id)
        paths = {
            "GET /api/probe/": "/api/probe/",
            "GET /api/users/me": "/api/users/me",
            "GET /api/tags/": "/api/tags/",
            "GET /api/nodes/{folder}": f"/api/nodes/{home}?page_size=50",
            "GET /api/documents/{id}": f"/api/documents/{document_id}",
            f"GET /api/search/?q={WORD}": f"/api/search/?q={WORD}",
        }
        return [measure(client, path, label) for label, path in paths.items()]


def report(console: Console) -> None:
    backends = ["sqlite"] + (["postgresql"] if "QUIRE_TEST_POSTGRES_URL" in os.environ else [])
    with floor_server() as base, httpx.Client(base_url=base, timeout=30) as client:
        bare = measure(client, "/ping", "bare FastAPI def")
    table = Table(
        title=f"Request path: one worker, one client, {REQUESTS} sequential requests each, "
        "beside a bare FastAPI endpoint"
    )
    for column in ("backend", "endpoint", "p50 ms", "p95 ms", "p50 / bare", "p95 / bare"):
        table.add_column(column, justify="right")
    table.add_row("-", bare.endpoint, f"{bare.p50_ms:.2f}", f"{bare.p95_ms:.2f}", "1.0x", "1.0x")
    with tempfile.TemporaryDirectory(prefix="quire-bench-") as workdir:
        for backend in backends:
            console.print(f"running the request-path benchmark on {backend} ...")
            for latency in quire_latencies(backend, Path(workdir)):
                table.add_row(
                    backend,
                    latency.endpoint,
                    f"{latency.p50_ms:.2f}",
                    f"{latency.p95_ms:.2f}",
                    f"{latency.p50_ms / bare.p50_ms:.1f}x",
                    f"{latency.p95_ms / bare.p95_ms:.1f}x",
                )
    console.print(table)
    console.print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    report(Console(width=160))
