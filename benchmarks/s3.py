"""S3: Quire's uploader against plain boto3, and what primary mode adds to an upload.

- bucket: ``quire.s3.bucket.Bucket`` (a Content-MD5 on every request or part, the SHA-256 in the
  metadata; parts of S3__MULTIPART_CHUNKSIZE_MB from S3__MULTIPART_THRESHOLD_MB up, at most
  S3__MAX_CONCURRENCY at once) against plain boto3 on the same files, with the same client
  settings: ``put_object`` for many small objects (both from a pool of WORKERS threads) and
  ``upload_file`` with TransferConfig's defaults for a few large files, one after another.
  Runs in turns (boto3, Quire, boto3, ...), medians; a fresh bucket, emptied and removed after.
- primary mode: the same PDFs uploaded (``POST /api/documents/upload``) to two real
  ``quire serve`` running at once, one on the local media root and one with
  STORAGE__BACKEND=s3, the requests alternating; latency p50/p95 and the overhead of s3.

The server is QUIRE_TEST_S3_ENDPOINT (``make bench`` starts S3Proxy on loopback): the figures
are for the code path, not for AWS. ``python -m benchmarks.s3 --quick`` runs it alone, small.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import boto3
import httpx
import img2pdf
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from PIL import Image
from rich.console import Console
from rich.table import Table

from benchmarks.server import fresh_database, percentile, quire_server
from quire.core.config import MainSettings, S3Settings, Settings
from quire.s3.bucket import Bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

KB = 1 << 10
MB = 1 << 20
# Threads uploading the small objects, for both uploaders (Quire's S3__MAX_CONCURRENCY default).
WORKERS = 4
# Uploads to each server before the measured ones (imports, connections, SQLite's first pages).
WARMUP = 3
REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Plan:
    small: int  # objects of small_kb, uploaded from a thread pool
    small_kb: int
    large: int  # files of large_mb, one after another
    large_mb: int
    repeats: int  # runs of each uploader, in turns
    uploads: int  # measured uploads per PDF size and storage mode
    pdf_mb: tuple[int, ...] = (1, 10)


FULL = Plan(small=300, small_kb=200, large=3, large_mb=100, repeats=5, uploads=50)
QUICK = Plan(small=30, small_kb=200, large=1, large_mb=100, repeats=2, uploads=5)


# The baseline's client; Quire's (quire.s3.bucket.make_client) sets the same four.
BOTO3_CONFIG = Config(
    s3={"addressing_style": "path"},
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
    signature_version="s3v4",
)


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str

    @classmethod
    def from_env(cls) -> S3Server | None:
        env = os.environ
        if not env.get("QUIRE_TEST_S3_ENDPOINT"):
            return None
        keys = env["QUIRE_TEST_S3_ACCESS_KEY"], env["QUIRE_TEST_S3_SECRET_KEY"]
        return cls(env["QUIRE_TEST_S3_ENDPOINT"], *keys)

    def client(self) -> S3Client:
        """Plain boto3, as the baseline uses it."""
        client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=REGION,
            config=BOTO3_CONFIG,
        )
        return client

    def fields(self, bucket: str) -> dict[str, str]:
        """Quire's S3__* settings for ``bucket``."""
        return {
            "bucket_name": bucket,
            "endpoint_url": self.endpoint,
            "access_key_id": self.access_key,
            "secret_access_key": self.secret_key,
            "region_name": REGION,
            "addressing_style": "path",
        }

    def settings(self, bucket: str, data_dir: Path) -> Settings:
        s3 = S3Settings.model_validate(self.fields(bucket))
        return Settings(main=MainSettings(data_dir=data_dir), s3=s3)

    def env(self, bucket: str, cache_dir: Path) -> dict[str, str]:
        """``quire serve``'s environment for primary mode on ``bucket``."""
        s3 = {f"QUIRE__S3__{name.upper()}": value for name, value in self.fields(bucket).items()}
        return {"QUIRE__STORAGE__BACKEND": "s3", "QUIRE__STORAGE__CACHE_DIR": str(cache_dir), **s3}


@dataclass
class UploadFigures:
    workload: str
    objects: int
    size: int  # bytes in one run
    boto3_s: list[float] = field(default_factory=list)
    quire_s: list[float] = field(default_factory=list)
    load: float = 0.0

    def rates(self, samples: list[float]) -> tuple[float, float]:
        """MB/s and objects/s of the median run."""
        seconds = statistics.median(samples)
        return self.size / MB / seconds, self.objects / seconds


@dataclass
class LatencyFigures:
    size: int
    local_ms: list[float]
    s3_ms: list[float]

    def overhead(self, fraction: float) -> float:
        return percentile(self.s3_ms, fraction) / percentile(self.local_ms, fraction) - 1


@contextmanager
def fresh_bucket(client: S3Client) -> Iterator[str]:
    """A new bucket, removed with whatever is in it afterwards."""
    name = f"quire-bench-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    try:
        yield name
    finally:
        empty(client, name)
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
            client.abort_multipart_upload(
                Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        client.delete_bucket(Bucket=name)


def empty(client: S3Client, bucket: str, prefix: str = "") -> int:
    """Delete every object under ``prefix``, one by one (DeleteObjects needs a flexible
    checksum that S3Proxy refuses); how many there were."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda key: client.delete_object(Bucket=bucket, Key=key), keys))
    return len(keys)


def write_files(directory: Path, count: int, size: int) -> list[Path]:
    """``count`` files of random (incompressible) bytes."""
    directory.mkdir()
    files = [directory / f"{number:04d}.pdf" for number in range(count)]
    for path in files:
        path.write_bytes(os.urandom(size))
    return files


Put = Callable[[str, Path], object]


def uploader(put: Put, files: list[Path], threads: int) -> Callable[[str], None]:
    """Upload ``files`` under a prefix with ``put``, from a pool of ``threads``."""

    def upload(prefix: str) -> None:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda path: put(f"{prefix}/{path.name}", path), files))

    return upload


def in_turns(
    figures: UploadFigures,
    client: S3Client,
    bucket: str,
    uploaders: tuple[Callable[[str], None], Callable[[str], None]],
    repeats: int,
) -> UploadFigures:
    """boto3, Quire, boto3, Quire...: a change in the machine's load hits both. Each run's
    objects are counted and deleted before the next (not timed)."""
    for repeat in range(repeats):
        for name, upload, samples in zip(
            ("boto3", "quire"), uploaders, (figures.boto3_s, figures.quire_s), strict=True
        ):
            prefix = f"{name}-{repeat}"
            started = time.perf_counter()
            upload(prefix)
            samples.append(time.perf_counter() - started)
            if (stored := empty(client, bucket, prefix + "/")) != figures.objects:
                raise RuntimeError(f"{name} stored {stored} of {figures.objects} objects")
    figures.load = os.getloadavg()[0]
    return figures


def run_bucket(
    server: S3Server, workdir: Path, plan: Plan, log: Callable[[str], None]
) -> list[UploadFigures]:
    client = server.client()
    small = write_files(workdir / "small", plan.small, plan.small_kb * KB)
    large = write_files(workdir / "large", plan.large, plan.large_mb * MB)
    with fresh_bucket(client) as name:
        bucket = Bucket(server.settings(name, workdir))
        # Both clients made and connected before the clock starts.
        bucket.check()
        client.head_bucket(Bucket=name)

        def boto3_put(key: str, path: Path) -> None:
            client.put_object(Bucket=name, Key=key, Body=path.read_bytes())

        def boto3_file(key: str, path: Path) -> None:
            client.upload_file(str(path), name, key)

        def quire_put(key: str, path: Path) -> None:
            bucket.put_file(PurePosixPath(key), path)

        workloads = [
            (f"{plan.small} x {plan.small_kb} KB, {WORKERS} threads", small, WORKERS, boto3_put),
            (f"{plan.large} x {plan.large_mb} MB, one by one", large, 1, boto3_file),
        ]
        figures = []
        for workload, files, threads, baseline in workloads:
            log(f"s3: {workload}, {plan.repeats} runs each ...")
            run = UploadFigures(workload, len(files), sum(p.stat().st_size for p in files))
            uploaders = (uploader(baseline, files, threads), uploader(quire_put, files, threads))
            figures.append(in_turns(run, client, name, uploaders, plan.repeats))
    return figures


def random_pdf(megabytes: int) -> bytes:
    """A one-page PDF of about ``megabytes``: a grayscale image of random pixels (a PNG that
    img2pdf embeds as it is, so nothing shrinks it)."""
    side = int(math.sqrt(megabytes * MB))
    page = Image.frombytes("L", (side, side), os.urandom(side * side))
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", compress_level=1)
    data = img2pdf.convert(buffer.getvalue())
    assert isinstance(data, bytes)
    return data


def upload_ms(client: httpx.Client, data: bytes, title: str) -> float:
    started = time.perf_counter()
    response = client.post(
        "/api/documents/upload",
        files={"file": ("bench.pdf", data, "application/pdf")},
        data={"title": title},
    )
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


def alternate(clients: dict[str, httpx.Client], megabytes: int, uploads: int) -> LatencyFigures:
    """The same PDF to each server in turn, the order swapped every round."""
    data = random_pdf(megabytes)
    samples: dict[str, list[float]] = {mode: [] for mode in clients}
    modes = list(clients)
    for number in range(WARMUP + uploads):
        for mode in modes if number % 2 == 0 else modes[::-1]:
            elapsed = upload_ms(clients[mode], data, f"bench {megabytes} MB {number}")
            if number >= WARMUP:
                samples[mode].append(elapsed)
    return LatencyFigures(len(data), samples["local"], samples["s3"])


def run_primary(
    server: S3Server, workdir: Path, plan: Plan, log: Callable[[str], None]
) -> list[LatencyFigures]:
    client = server.client()
    quiet = {"QUIRE__OCR__AUTOMATIC": "false", "QUIRE__TASKS__RUN_EMBEDDED": "false"}
    figures = []
    with ExitStack() as stack:
        bucket = stack.enter_context(fresh_bucket(client))
        clients = {}
        for mode, env in (
            ("local", quiet),
            ("s3", {**quiet, **server.env(bucket, workdir / "s3-cache")}),
        ):
            url = stack.enter_context(fresh_database("sqlite", workdir))
            served = stack.enter_context(
                quire_server(url, workdir / f"data-{mode}", workers=1, extra_env=env)
            )
            clients[mode] = stack.enter_context(
                httpx.Client(base_url=served.base, headers=served.headers, timeout=300)
            )
        for megabytes in plan.pdf_mb:
            log(f"s3: {WARMUP} + {plan.uploads} uploads of {megabytes} MB to each server ...")
            figures.append(alternate(clients, megabytes, plan.uploads))
        stored = empty(client, bucket)
        expected = (WARMUP + plan.uploads) * len(plan.pdf_mb)
        if stored < expected:
            raise RuntimeError(f"the bucket holds {stored} objects for {expected} uploads")
        log(f"s3: the primary-mode bucket held {stored} objects after {expected} uploads")
    return figures


def _s3proxy_properties() -> dict[str, str]:
    """scripts/test-services.sh's S3Proxy configuration, if it is there."""
    state = Path(os.environ.get("QUIRE_TEST_SERVICES_DIR", ROOT / ".test-services"))
    recorded = state / "data-root"
    root = Path(recorded.read_text().strip()) if recorded.is_file() else state
    path = root / "s3proxy" / "s3proxy.properties"
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="latin-1").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def describe(endpoint: str) -> str:
    """What answers at ``endpoint``: its Server header, and S3Proxy's version and blob store
    when it is the one scripts/test-services.sh started."""
    software = httpx.get(endpoint, timeout=5).headers.get("server", "no Server header")
    properties = _s3proxy_properties()
    if properties.get("s3proxy.endpoint", "").rstrip("/") == endpoint.rstrip("/"):
        pom = (ROOT / "scripts" / "s3proxy" / "pom.xml").read_text()
        version = found.group(1) if (found := re.search(r"<s3proxy.version>(.+?)<", pom)) else "?"
        store = properties.get("jclouds.provider", "?")
        software = f"S3Proxy {version}, {store} blob store (local disk), {software}"
    host = urlsplit(endpoint).hostname
    return f"{endpoint}: {software}, on {'loopback' if host in LOOPBACK else host}"


def _table(title: str, columns: str) -> Table:
    table = Table(title=title)
    for column in columns.split(","):
        table.add_column(column, justify="right")
    return table


def print_uploads(console: Console, figures: list[UploadFigures], plan: Plan) -> None:
    table = _table(
        f"S3: upload throughput to a fresh bucket, Quire's Bucket vs plain boto3 "
        f"(median of {plan.repeats} runs each, in turns)",
        "workload,boto3 MB/s,boto3 objects/s,Quire MB/s,Quire objects/s,Quire / boto3,load",
    )
    for f in figures:
        table.add_row(
            f.workload,
            *(f"{rate:.1f}" for samples in (f.boto3_s, f.quire_s) for rate in f.rates(samples)),
            f"{statistics.median(f.boto3_s) / statistics.median(f.quire_s):.2f}",
            f"{f.load:.1f}",
        )
    console.print(table)
    quire, boto = S3Settings(), TransferConfig()
    console.print(
        f"Quire: Content-MD5 on every request or part, SHA-256 in the metadata; parts of "
        f"{quire.multipart_chunksize_mb} MB from {quire.multipart_threshold_mb} MB, "
        f"{quire.max_concurrency} at once. boto3: put_object / upload_file with TransferConfig "
        f"defaults (parts of {boto.multipart_chunksize // MB} MB from "
        f"{boto.multipart_threshold // MB} MB, {boto.max_request_concurrency} threads), no "
        "integrity header. Same client settings; Quire / boto3 > 1: Quire faster. MB = 2^20 bytes; "
        f"load: 1-min load average on {os.cpu_count()} cores"
    )


def print_latencies(console: Console, figures: list[LatencyFigures], plan: Plan) -> None:
    table = _table(
        f"S3: POST /api/documents/upload latency in ms, local storage vs primary mode (s3), "
        f"{plan.uploads} uploads each, alternating",
        "PDF,local p50,local p95,s3 p50,s3 p95,overhead p50,overhead p95",
    )
    for f in figures:
        table.add_row(
            f"{f.size / MB:.1f} MB",
            *(f"{percentile(f.local_ms, p):.1f}" for p in (0.5, 0.95)),
            *(f"{percentile(f.s3_ms, p):.1f}" for p in (0.5, 0.95)),
            *(f"{f.overhead(p):+.1%}" for p in (0.5, 0.95)),
        )
    console.print(table)
    console.print(
        "two quire serve (1 worker each, SQLite, no OCR, no background tasks) at once; "
        "overhead: s3 / local - 1 at the same percentile"
    )


def report(console: Console, plan: Plan = FULL) -> None:
    """Run the S3 benchmark and print its tables (called by ``python -m benchmarks``)."""
    server = S3Server.from_env()
    if server is None:
        console.print("skipping the S3 benchmark: QUIRE_TEST_S3_ENDPOINT is not set")
        return
    header = describe(server.endpoint)
    console.print(f"running S3 benchmark against {header} ...")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="quire-bench-s3-") as workdir:
        uploads = run_bucket(server, Path(workdir), plan, console.print)
        latencies = run_primary(server, Path(workdir), plan, console.print)
    console.print(f"S3 server: {header}; figures for the code path on one machine, not for AWS")
    print_uploads(console, uploads, plan)
    print_latencies(console, latencies, plan)
    console.print(f"S3 benchmark: {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for a smoke run")
    args = parser.parse_args()
    report(Console(width=180), QUICK if args.quick else FULL)


if __name__ == "__main__":
    main()
