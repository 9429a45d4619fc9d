"""OCRmyPDF in a child process, so that a document's OCR can be stopped at its time limit.

A thread cannot be killed; a process can. The child comes from a fork server that has imported
OCRmyPDF once, so starting one costs milliseconds, not the second an import takes. It leads its
own process group, and on timeout the whole group goes, Tesseract processes included. A crash
in a native library takes the child down, never the web process or the worker. Like the
``ocrmypdf`` command, it runs at a lower priority (nice +5) than the process that asked.

The child also dies with the process that asked for it: if the web process or worker is killed,
the fork server exits (it watches its parent through a pidfd; on its own it would live on with
its children), the kernel signals the child (``PR_SET_PDEATHSIG``) and the child takes its
group down with it, so no OCR goes on for a task that will run again elsewhere. OCRmyPDF's
temporary files go to the calling process's scratch folder, which the next start sweeps if that
process died.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.process
import os
import select
import signal
import tempfile
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import ocrmypdf
from ocrmypdf import exceptions as ocr_errors

# OCRmyPDF's verdicts on its input, which running it again cannot change, in words for the
# document's owner (OCRmyPDF often raises them without a message and logs the details).
INPUT_ERRORS: dict[type[Exception], str] = {
    ocr_errors.EncryptedPdfError: "the PDF is encrypted",
    ocr_errors.UnsupportedImageFormatError: "the file is not a PDF or an image OCRmyPDF reads",
    ocr_errors.DpiError: "the image's resolution is missing or implausible",
    ocr_errors.PriorOcrFoundError: "the PDF already has a text layer",
    ocr_errors.DigitalSignatureError: "the PDF is digitally signed; OCR would break the signature",
    ocr_errors.BadArgsError: "OCRmyPDF refused the settings",
    ocr_errors.InputFileError: "the PDF is corrupt or unreadable",
}

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# The child's priority below its caller's, as the ``ocrmypdf`` command lowers its own: the web
# process's requests (and the runner's other tasks) come before a long OCR on shared cores.
# Tesseract and Ghostscript inherit it.
NICENESS = 5
# How long a child that has sent its result may take to exit before it is killed.
EXIT_GRACE_SECONDS = 10.0
_context_lock = threading.Lock()
_context: Any = None


def _exit_with_parent() -> None:
    """In the fork server: exit when the process that started it is gone, so that its children
    get their death signal. A pidfd, not PR_SET_PDEATHSIG, because that signal follows the
    parent's *thread*, and the fork server is started from a task thread."""
    parent = os.getppid()
    try:
        pidfd = os.pidfd_open(parent)
    except ProcessLookupError:
        os._exit(0)

    def watch() -> None:
        select.select([pidfd], [], [])
        os._exit(0)

    threading.Thread(target=watch, name="quire-parent-watch", daemon=True).start()


_FORK_SERVER_PARENT = "QUIRE_OCR_FORK_SERVER_PARENT"
if os.environ.get(_FORK_SERVER_PARENT) == str(os.getppid()):
    _exit_with_parent()


class InputRefused(ValueError):
    """OCRmyPDF will not OCR this input; the message says why, for the owner."""


class OcrTimeout(TimeoutError):
    """The document took longer than its limit; its child process and Tesseracts are gone."""


def _fork_server() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            # Read by this module when the fork server imports it (below).
            os.environ[_FORK_SERVER_PARENT] = str(os.getpid())
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["ocrmypdf", "quire.core.ocrmypdf_runner"])
            _context = context
        return _context


def run(
    source: Path, output: Path, options: dict[str, Any], timeout: float, temp_dir: Path
) -> None:
    """``ocrmypdf.ocr(source, output, **options)`` in a child, its temporary files under
    ``temp_dir``; raises InputRefused, OcrTimeout, or RuntimeError for anything else."""
    context = _fork_server()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(sender, str(source), str(output), options, str(temp_dir))
    )
    child.start()
    sender.close()
    grace = 0.0
    try:
        if not receiver.poll(timeout):
            raise OcrTimeout(f"OCR took longer than {timeout:.0f} s")
        kind, message = receiver.recv()
        grace = EXIT_GRACE_SECONDS
    except EOFError:
        child.join()
        raise RuntimeError(f"the OCR process died (exit code {child.exitcode})") from None
    finally:
        _end(child, grace)
        receiver.close()
    if kind == "refused":
        raise InputRefused(message)
    if kind != "ok":
        raise RuntimeError(message)


def _end(child: multiprocessing.process.BaseProcess, grace: float) -> None:
    """The child and everything it started, gone (after ``grace`` seconds to exit by itself)."""
    child.join(grace)
    if child.is_alive():
        assert child.pid is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.kill()  # in case it had not made its group yet
        child.join()


def _child(
    sender: Connection, source: str, output: str, options: dict[str, Any], temp_dir: str
) -> None:
    os.setpgid(0, 0)  # its own group: the parent kills it and its Tesseracts at once
    _die_with_parent()
    os.nice(NICENESS)
    tempfile.tempdir = temp_dir
    try:
        code = ocrmypdf.ocr(source, output, **options)
        if code == ocrmypdf.ExitCode.ok:
            sender.send(("ok", ""))
        else:
            sender.send(("error", f"OCRmyPDF ended with {code.name}"))
    except tuple(INPUT_ERRORS) as exc:
        sender.send(("refused", _input_error(exc)))
    except Exception as exc:  # reported to the parent, which decides about retrying
        sender.send(("error", f"{type(exc).__name__}: {str(exc).strip() or type(exc).__name__}"))
    finally:
        sender.close()


def _die_with_parent() -> None:
    """When the parent (the fork server, which exits with the web process or worker) dies, the
    kernel sends SIGTERM, and the group goes: this child, OCRmyPDF's workers, Tesseracts."""
    parent = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: os.killpg(0, signal.SIGKILL))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request took effect
        os.killpg(0, signal.SIGKILL)


def _input_error(exc: Exception) -> str:
    described = next(text for kind, text in INPUT_ERRORS.items() if isinstance(exc, kind))
    detail = str(exc).strip()
    return f"{described} ({detail})" if detail else described
