"""After a crash: OCR child processes die with the server, and the next start sweeps the
scratch files the dead process left (staging, OCRmyPDF's temp folders)."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import httpx

from quire.core.storage import OTHER_HOST_SCRATCH_SECONDS, scratch_dir, sweep_scratch
from tests import samples
from tests.processes import QuireProcess, clean_env, free_port, wait_for

PASSWORD = "crash-test-password"


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def _dead_pid() -> int:
    """A pid that no process has now."""
    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        pid -= 1


def test_sweep_removes_only_what_dead_processes_left(tmp_path):
    host = socket.gethostname()
    mine = scratch_dir(tmp_path)
    (mine / "upload-live").write_bytes(b"in use")
    dead = tmp_path / f"{host}-{_dead_pid()}"
    (dead / "ocrmypdf.io.x").mkdir(parents=True)
    (dead / "upload-abc").write_bytes(b"half an upload")
    remote_young = tmp_path / "otherhost-123"
    remote_young.mkdir()
    remote_old = tmp_path / "otherhost-456"
    remote_old.mkdir()
    _age(remote_old, OTHER_HOST_SCRATCH_SECONDS + 60)
    loose_old = tmp_path / "upload-from-an-old-version"
    loose_old.write_bytes(b"x")
    _age(loose_old, 7200)
    loose_young = tmp_path / "upload-just-now"
    loose_young.write_bytes(b"x")

    removed = sweep_scratch(tmp_path)

    assert sorted(removed) == sorted([dead, remote_old, loose_old])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [mine.name, remote_young.name, loose_young.name]
    )
    assert (mine / "upload-live").read_bytes() == b"in use"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_killed_server_takes_its_ocr_with_it_and_the_next_start_sweeps(tmp_path):
    data_dir = tmp_path / "data"
    env = clean_env(
        tmp_path,
        QUIRE__MAIN__DATA_DIR=str(data_dir),
        QUIRE__SECURITY__SECRET_KEY="crash-tests-" + "k" * 40,
        QUIRE__AUTH__PASSWORD=PASSWORD,
        QUIRE__OCR__AUTOMATIC="true",
        QUIRE__OCR__JOBS="1",
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = QuireProcess(["serve", "--port", str(port)], env, tmp_path / "serve.log")
    try:
        wait_for(lambda: _answers(base), 60, "quire serve")
        token = httpx.post(
            f"{base}/api/token", json={"username": "admin", "password": PASSWORD}
        ).json()["access_token"]
        scan = samples.scanned_pdf([f"page {n} of a long lease" for n in range(1, 31)])
        uploaded = httpx.post(
            f"{base}/api/documents/upload",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("scan.pdf", scan, "application/pdf")},
        )
        assert uploaded.status_code == 201, uploaded.text
        pid = server.process.pid
        wait_for(lambda: _ocr_running(pid), 90, "Tesseract to OCR a page under the server")
        ocr_processes = _descendants(pid)
        scratch = data_dir / "media" / "tmp" / f"{socket.gethostname()}-{pid}"
        assert any(scratch.rglob("*")), "OCRmyPDF works in the server's scratch folder"

        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=20)
        # OCR of 30 pages on one core takes a minute: gone within seconds means killed.
        wait_for(
            lambda: not any(_running(p) for p in ocr_processes),
            5,
            "the OCR processes to die with the server",
        )
        assert scratch.is_dir(), "nothing removed it yet: the process was killed"
    finally:
        server.stop()

    restarted = QuireProcess(["serve", "--port", str(port)], env, tmp_path / "serve2.log")
    try:
        wait_for(lambda: _answers(base), 60, "quire serve, again")
        assert not scratch.exists()
    finally:
        restarted.stop()


def _ocr_running(server_pid: int) -> bool:
    """A Tesseract reading a page, below the OCR child (not the web process's own
    ``tesseract --list-langs``)."""
    return any(
        "tesseract" in _cmdline(p) and "--list-langs" not in _cmdline(p)
        for p in _descendants(server_pid) - set(_children().get(server_pid, []))
    )


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/probe/", timeout=1).status_code == 200
    except httpx.TransportError:
        return False
