"""Start-up: ``quire --help`` and ``quire worker --check`` (every health check) against a bare
``python -c pass``, wall time of a fresh process, median of RUNS.

``--check`` asks QUIRE_TEST_REDIS_URL (``make bench`` starts it), or a port where nothing
listens: the refusal is immediate, so either way the figure is the process's own start.
``python -m benchmarks.startup`` runs it alone.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

RUNS = 10
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "quire --help": ["-m", "quire", "--help"],
    "quire worker ocr --check": ["-m", "quire", "worker", "ocr", "--check"],
}


def _redis_url() -> str:
    if "QUIRE_TEST_REDIS_URL" in os.environ:
        return os.environ["QUIRE_TEST_REDIS_URL"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


def median_seconds(args: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(console: Console) -> None:
    """Time each command and print the table (called by ``python -m benchmarks``)."""
    env = {**os.environ, "QUIRE__REDIS__URL": _redis_url(), "QUIRE__MAIN__PREFIX": "bench"}
    figures = {name: median_seconds(args, env) for name, args in COMMANDS.items()}
    table = Table(title=f"Start-up: a fresh process, median of {RUNS}")
    for column in ("command", "s", "beyond python s"):
        table.add_column(column, justify="right")
    bare = figures["python -c pass"]
    for name, seconds in figures.items():
        table.add_row(name, f"{seconds:.3f}", f"{seconds - bare:.3f}")
    console.print(table)
    console.print("target: quire --help < 0.3 s")


if __name__ == "__main__":
    report(Console())
