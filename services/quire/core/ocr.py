"""OCR: a document's PDF through OCRmyPDF and Tesseract, stored as the document's next version.

Languages are configuration, not code: whatever Tesseract has installed can be asked for,
alone or several at once (``deu+eng``). The ``ocr`` task runs OCRmyPDF's Python API into a
staging file and stores the result as a new version whose pages' text is read back by the same
inspection an upload gets. It is idempotent: the version remembers the task that made it, so a
redelivered task (its worker died after storing) finds it and stops.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core import events, files, ocrmypdf_runner
from quire.core.config import OcrSettings
from quire.core.documents import add_derived_version, discard_files
from quire.core.models import Document, DocumentVersion, TaskRecord
from quire.core.models.nodes import OCRStatus
from quire.core.previews import pdf_version
from quire.core.storage import docver_key
from quire.core.tasks import PermanentFailure, TaskContext, enqueue, task

log = logging.getLogger("quire.ocr")

# Tesseract's orientation and script detection data: installed, but not a language to read.
OSD = "osd"


class OcrError(ValueError):
    """OCR cannot be done as asked; the message says why."""


class OcrUnavailable(OcrError):
    """Tesseract cannot be run on this host."""


class UnknownLanguage(OcrError):
    """A language Tesseract has not installed; the message lists the installed ones."""


class NothingToOcr(OcrError):
    """The document has no file yet."""


# Errors the OCR child reports as "<type>: <message>" that are verdicts on the input, not
# accidents: Pillow's decompression-bomb guard (an image over its pixel limit stays over it).
_OVER_LIMITS = ("DecompressionBombError", "DecompressionBombWarning")


class OcrFailed(PermanentFailure):
    """The input cannot be OCR'd (corrupt, encrypted, a language gone): retrying will not help."""


# The programs OCRmyPDF runs, and the Debian packages that provide them (with Tesseract's
# English, the default language). Looked up on PATH as OCRmyPDF looks them up.
OCR_PROGRAMS = {"tesseract": "Tesseract", "gs": "Ghostscript"}
OCR_PACKAGES = ("tesseract-ocr", "tesseract-ocr-eng", "ghostscript")


class OcrProgramsMissing(OcrFailed):
    """Tesseract or Ghostscript is not installed: no attempt can succeed until someone installs
    it, so the task fails at once with the sentence that says how (``retry`` after that)."""


def check_ocr_programs() -> None:
    """Raise OcrProgramsMissing naming each missing program and the command installing it.

    Not cached: installing the packages while Quire runs makes the next OCR task work.
    """
    missing = [f"{name} ({what})" for name, what in OCR_PROGRAMS.items() if not shutil.which(name)]
    if missing:
        raise OcrProgramsMissing(
            f"OCR cannot run: {' and '.join(missing)} not found on PATH; install with "
            f"`apt-get install {' '.join(OCR_PACKAGES)}` (or set OCR__AUTOMATIC=false)"
        )


@lru_cache(maxsize=1)
def installed_languages() -> tuple[str, ...]:
    """Tesseract's installed languages (with ``osd``), asked once per process."""
    try:
        result = subprocess.run(
            ["tesseract", "--list-langs"],  # noqa: S607 - found on PATH like OCRmyPDF finds it
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise OcrUnavailable(f"cannot ask Tesseract for its languages ({exc})") from exc
    # The first line is a header: List of available languages in "/usr/share/...":
    codes = [line.strip() for line in result.stdout.splitlines()[1:]]
    return tuple(sorted(code for code in codes if code))


def readable_languages() -> list[str]:
    return [code for code in installed_languages() if code != OSD]


def offered_languages(settings: OcrSettings) -> list[str]:
    """What the UI offers: ``OCR__LANG_CODES``, or every installed language."""
    configured = [code.strip() for code in settings.lang_codes.split(",") if code.strip()]
    return configured or readable_languages()


def check_language(lang: str) -> str:
    """``lang`` (``eng``, ``deu+eng``) if Tesseract has every part of it, else UnknownLanguage."""
    readable = readable_languages()
    codes = lang.split("+")
    unknown = [code for code in codes if code not in readable]
    if unknown:
        raise UnknownLanguage(
            f"unknown OCR language {'+'.join(unknown)!r}; installed: {', '.join(readable)}"
        )
    return lang


def schedule(session: Session, document: Document, lang: str) -> TaskRecord:
    """Queue OCR of the document's newest PDF (for an image, the PDF made of it)."""
    source = pdf_version(document)
    if source is None:
        raise NothingToOcr("the document has no file to OCR yet")
    record = enqueue(
        session,
        "ocr",
        {"document_id": str(document.id), "lang": lang, "source_version_id": str(source.id)},
        user_id=document.user_id,
    )
    document.ocr_status = OCRStatus.received.value
    document.ocr_error = None
    return record


def follows_upload(settings: OcrSettings, document: Document) -> bool:
    """Whether an upload to this document is OCR'd automatically (``OCR__AUTOMATIC``)."""
    return settings.automatic and document.ocr


def schedule_after_upload(session: Session, settings: OcrSettings, document: Document) -> None:
    """With ``OCR__AUTOMATIC``, an upload's OCR is committed with the upload (the outbox)."""
    if follows_upload(settings, document):
        schedule(session, document, document.lang)


@dataclass(frozen=True)
class Source:
    document_id: uuid.UUID
    path: Path
    file_name: str


@task("ocr", queue="ocr")
def ocr_document(ctx: TaskContext, document_id: str, lang: str, source_version_id: str) -> None:
    """OCR one version of a document into the document's next version."""
    source = _start(ctx, uuid.UUID(document_id), uuid.UUID(source_version_id), lang)
    if source is None:
        return
    try:
        with ctx.storage.staging_file() as output:
            run_ocrmypdf(source.path, output, lang, ctx.settings.ocr, ctx.storage.scratch())
            _store(ctx, source, output, lang)
    except Exception as exc:
        _record_failure(ctx, source.document_id, exc)
        raise


def run_ocrmypdf(
    source: Path, output: Path, lang: str, settings: OcrSettings, temp_dir: Path
) -> None:
    """OCRmyPDF with Quire's settings, stopped at ``OCR__DOCUMENT_TIMEOUT_SECONDS``; an input it
    refuses, or a document over the limit, raises OcrFailed with the reason."""
    # The legacy switches rather than ``mode=``: OCRmyPDF 16 knows only them. Unset is None.
    options = {
        "language": lang.split("+"),
        "output_type": "pdf",
        "optimize": 1,
        "jobs": settings.jobs,
        "tesseract_timeout": settings.page_timeout_seconds,
        "progress_bar": False,
        "skip_text": settings.mode == "skip-text" or None,
        "redo_ocr": settings.mode == "redo" or None,
        "force_ocr": settings.mode == "force" or None,
    }
    try:
        ocrmypdf_runner.run(source, output, options, settings.document_timeout_seconds, temp_dir)
    except ocrmypdf_runner.InputRefused as exc:
        raise OcrFailed(f"cannot OCR this version: {exc}") from exc
    except ocrmypdf_runner.OcrTimeout as exc:
        raise OcrFailed(f"{exc} (OCR__DOCUMENT_TIMEOUT_SECONDS)") from exc
    except RuntimeError as exc:
        if str(exc).startswith(_OVER_LIMITS):
            raise OcrFailed(f"cannot OCR this version: an image is too large ({exc})") from exc
        raise


def _reason(exc: Exception) -> str:
    return str(exc).strip() or type(exc).__name__


def _describe(exc: Exception) -> str:
    """The error as the document's OCR status shows it: ours as is, others with their type."""
    return str(exc) if isinstance(exc, OcrFailed) else f"{type(exc).__name__}: {_reason(exc)}"


def _made_by(session: Session, task_id: uuid.UUID) -> bool:
    query = select(DocumentVersion.id).where(DocumentVersion.ocr_task_id == task_id)
    return session.scalar(query) is not None


def _start(
    ctx: TaskContext, document_id: uuid.UUID, version_id: uuid.UUID, lang: str
) -> Source | None:
    """Mark the document STARTED; None if there is nothing to do (done before, or deleted)."""
    with ctx.db.session() as session:
        document = session.get(Document, document_id)
        if document is None or _made_by(session, ctx.task_id):
            return None
        try:
            check_ocr_programs()
            version = session.get(DocumentVersion, version_id)
            if version is None or version.document_id != document_id or not version.file_name:
                raise OcrFailed("the version to OCR no longer exists")
            try:
                check_language(lang)
            except UnknownLanguage as exc:
                raise OcrFailed(str(exc)) from exc
        except OcrFailed as exc:
            _fail(session, document, _describe(exc))
            session.commit()
            raise
        _set_status(document, OCRStatus.started, None)
        events.node_event(
            session, events.OCR_STARTED, document, document_id=str(document.id), lang=lang
        )
        session.commit()
        path = ctx.storage.fetch(docver_key(version.id, version.file_name))
        return Source(document_id=document_id, path=path, file_name=version.file_name)


def _store(ctx: TaskContext, source: Source, output: Path, lang: str) -> None:
    """The OCR'd PDF as a new version, and SUCCESS, in one transaction."""
    with ctx.db.session() as session:
        document = session.get(Document, source.document_id)
        # Deleted meanwhile, or an earlier run of this task (past its lease) stored it first.
        if document is None or _made_by(session, ctx.task_id):
            return
        try:
            version = add_derived_version(
                session,
                ctx.storage,
                document,
                output,
                file_name=source.file_name,
                short_description=f"OCR ({lang})",
            )
        except files.UnacceptableFile as exc:
            raise OcrFailed(f"OCRmyPDF's output is unreadable: {exc}") from exc
        version.ocr_task_id = ctx.task_id
        version.lang = lang
        for page in version.pages:
            page.lang = lang
        _set_status(document, OCRStatus.success, None)
        # The index task came with the version (add_derived_version); the user hears of it.
        events.node_event(
            session,
            events.OCR_SUCCEEDED,
            document,
            document_id=str(document.id),
            version_id=str(version.id),
        )
        try:
            session.commit()
        except BaseException:
            session.rollback()
            discard_files(ctx.storage, [version])
            raise


def _record_failure(ctx: TaskContext, document_id: uuid.UUID, exc: Exception) -> None:
    """FAILURE once the task has ended failed; until then it is scheduled again."""
    final = isinstance(exc, PermanentFailure) or ctx.attempt >= ctx.settings.tasks.max_attempts
    with ctx.db.session() as session:
        document = session.get(Document, document_id)
        # Lost a race with an earlier run of this task that stored the version: it is done.
        if document is not None and not _made_by(session, ctx.task_id):
            if final:
                _fail(session, document, _describe(exc))
            else:
                _set_status(document, OCRStatus.received, _describe(exc))
            session.commit()


def _fail(session: Session, document: Document, error: str) -> None:
    """FAILURE for good, and the user hears of it."""
    _set_status(document, OCRStatus.failure, error)
    events.node_event(
        session,
        events.OCR_FAILED,
        document,
        document_id=str(document.id),
        error=document.ocr_error,
    )


def _set_status(document: Document, status: OCRStatus, error: str | None) -> None:
    document.ocr_status = status.value
    document.ocr_error = error[:4000] if error else None
