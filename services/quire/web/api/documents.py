"""``/api/documents``, ``/api/document-versions``, thumbnails and page previews.

Uploads are Papermerge's two steps (``POST /nodes/`` then ``POST /documents/{id}/upload``) or
one step (``POST /documents/upload``, into the inbox unless ``parent_id`` says otherwise; like
an import, it takes the first free title, ``scan (2).pdf``, where ``scan.pdf`` is taken).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import (
    APIRouter,
    File,
    Form,
    HTTPException,
    Query,
    Request,
    UploadFile,
    status,
)
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core import access, audit, scopes
from quire.core.config import Settings
from quire.core.documents import FileTooLarge, newest_with_file, safe_file_name
from quire.core.files import Limits, UnacceptableFile, UnsupportedFileType
from quire.core.models import Document, DocumentVersion, Folder, User
from quire.core.models.nodes import LANG_PATTERN, LANG_WIDTH
from quire.core.nodes import TreeError
from quire.core.previews import thumbnail
from quire.core.storage import Storage as FileStorage
from quire.core.storage import docver_key
from quire.core.uploads import UploadConflict, import_document, upload_document
from quire.web.api.common import (
    NoNul,
    accessible,
    accessible_node,
    json_response,
    not_found,
    refusals_as,
)
from quire.web.api.node_schemas import (
    DocumentOut,
    DocumentVersionOut,
    hide_page_text,
    version_out,
)
from quire.web.api.node_views import full_out
from quire.web.deps import AppSettings, DbSession, Storage, require, user_scopes
from quire.web.files import file_response, signed_url

router = APIRouter(tags=["documents"])

Viewer = Annotated[User, require(scopes.NODE_VIEW)]
Uploader = Annotated[User, require(scopes.DOCUMENT_UPLOAD)]
Downloader = Annotated[User, require(scopes.DOCUMENT_DOWNLOAD)]

# The upload routes, included with a body limit of MAIN__MAX_FILE_SIZE_MB plus this much for
# the multipart framing around the file (headers, boundaries, the small form fields).
upload_router = APIRouter(tags=["documents"])
MULTIPART_SLACK = 64 * 1024


class VersionListItem(BaseModel):
    id: uuid.UUID
    number: int
    short_description: str | None


class PreviewStatus(BaseModel):
    doc_id: uuid.UUID
    status: Literal["ready", "pending"] | None
    preview_image_url: str | None


class OcrStatusOut(BaseModel):
    doc_id: uuid.UUID
    status: str
    error: str | None


class DownloadUrl(BaseModel):
    download_url: str = Field(serialization_alias="downloadURL")


def _too_large(settings: Settings) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE,
        detail=f"the file is larger than the limit of {settings.main.max_file_size_mb} MB",
    )


def _document(
    db: Session, user: User, document_id: uuid.UUID, perm: str = scopes.NODE_VIEW
) -> Document:
    return accessible_node(db, user, document_id, Document, perm)


def _version(
    db: Session, user: User, version_id: uuid.UUID, perm: str = scopes.NODE_VIEW
) -> DocumentVersion:
    """A version of a document the user may see (and do ``perm`` with); others are 404."""
    version = db.get(DocumentVersion, version_id)
    if version is None:
        raise not_found()
    accessible_node(db, user, version.document_id, Document, perm)
    return version


def _downloadable(db: Session, user: User, version_id: uuid.UUID) -> tuple[DocumentVersion, str]:
    """A version the user may download, and its file's name: any version, or with
    ``document.download.last_version_only`` (and not ``.all_versions``) only the document's
    newest version with a file (403 else)."""
    version = _version(db, user, version_id, scopes.DOCUMENT_DOWNLOAD)
    file_name = version.file_name
    if file_name is None:
        raise not_found("this version has no file yet")
    granted = user_scopes(user)
    if (
        scopes.DOCUMENT_DOWNLOAD_LAST_VERSION_ONLY in granted
        and scopes.DOCUMENT_DOWNLOAD_ALL_VERSIONS not in granted
    ):
        newest = newest_with_file([version.document_id])
        if version.number != db.scalar(select(newest.c.number)):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="your roles allow downloading a document's newest version only",
            )
    return version, file_name


def _version_for_caller(db: Session, user: User, version: DocumentVersion) -> DocumentVersionOut:
    out = version_out(version)
    if not accessible(db, user, version.document_id, Document)[1].allows(scopes.PAGE_VIEW):
        hide_page_text([out])
    return out


def _store_upload(
    db: Session, storage: FileStorage, settings: Settings, document: Document, upload: UploadFile
) -> None:
    """``uploads.upload_document``, its refusals told in HTTP."""
    try:
        upload_document(
            db,
            storage,
            settings,
            document,
            upload.file,
            file_name=upload.filename or document.title,
        )
    except UploadConflict as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except FileTooLarge as exc:
        raise _too_large(settings) from exc
    except UnsupportedFileType as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, detail=str(exc)) from exc
    except UnacceptableFile as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc


def _document_out(db: Session, user: User, document: Document, *, new: bool = False) -> DocumentOut:
    out = full_out(db, *accessible(db, user, document.id, Document), include_self=True, new=new)
    assert isinstance(out, DocumentOut)
    return out


@router.get("/documents/thumbnail-img-status/", response_model=list[PreviewStatus])
def thumbnail_status(
    user: Viewer,
    db: DbSession,
    storage: Storage,
    doc_ids: Annotated[list[uuid.UUID], Query(min_length=1, max_length=500)],
) -> list[PreviewStatus]:
    result = []
    for doc_id in doc_ids:
        document = _document(db, user, doc_id)
        has_file = any(version.file_name for version in document.versions)
        result.append(
            PreviewStatus(
                doc_id=doc_id,
                status="ready" if has_file else "pending",
                preview_image_url=f"/api/thumbnails/{doc_id}" if has_file else None,
            )
        )
    return result


@router.get("/documents/ocr-status/", response_model=list[OcrStatusOut])
def ocr_status(
    user: Viewer,
    db: DbSession,
    doc_ids: Annotated[list[uuid.UUID], Query(min_length=1, max_length=500)],
) -> list[OcrStatusOut]:
    """Each document's OCR status (UNKNOWN, RECEIVED, STARTED, SUCCESS, FAILURE) and error."""
    wanted = access.visible_ids(db, user, doc_ids)
    query = select(Document).where(Document.id.in_(wanted))
    found = {document.id: document for document in db.scalars(query)}
    if len(found) != len(set(doc_ids)):
        raise not_found()
    return [
        OcrStatusOut(doc_id=doc_id, status=found[doc_id].ocr_status, error=found[doc_id].ocr_error)
        for doc_id in doc_ids
    ]


@upload_router.post(
    "/documents/upload", response_model=DocumentOut, status_code=status.HTTP_201_CREATED
)
def upload_new_document(
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG or TIFF")],
    user: Uploader,
    db: DbSession,
    storage: Storage,
    settings: AppSettings,
    title: Annotated[str | None, Form(max_length=255), NoNul] = None,
    parent_id: Annotated[uuid.UUID | None, Form()] = None,
    lang: Annotated[str | None, Form(pattern=LANG_PATTERN, max_length=LANG_WIDTH)] = None,
    ocr: Annotated[bool, Form()] = True,
) -> DocumentOut:
    """Create a document from a file in one step, in the inbox unless ``parent_id`` is given."""
    folder_id = parent_id or user.inbox_folder_id
    assert folder_id is not None
    folder = accessible_node(db, user, folder_id, Folder, scopes.NODE_CREATE)
    # A grantee's role must allow both: a node is made, and a file uploaded into it.
    accessible_node(db, user, folder_id, Folder, scopes.DOCUMENT_UPLOAD)
    # In a shared folder, the folder's owner's: each tree has one owner. A concurrent upload of
    # the same title is a 409 from _store_upload, whose flush inserts the document.
    with refusals_as({TreeError: status.HTTP_400_BAD_REQUEST}):
        document = import_document(
            db,
            folder,
            title=(title or "").strip() or safe_file_name(file.filename),
            lang=lang or settings.ocr.default_lang_code,
            ocr=ocr,
        )
    _store_upload(db, storage, settings, document, file)
    return _document_out(db, user, document, new=True)


@upload_router.post("/documents/{document_id}/upload", response_model=DocumentOut)
def upload_file(
    document_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG or TIFF")],
    user: Uploader,
    db: DbSession,
    storage: Storage,
    settings: AppSettings,
) -> DocumentOut:
    """Store a file as the document's next version (its first, for a new document)."""
    document = _document(db, user, document_id, scopes.DOCUMENT_UPLOAD)
    _store_upload(db, storage, settings, document, file)
    return _document_out(db, user, document)


@router.get("/documents/{document_id}", response_model=DocumentOut)
def get_document(document_id: uuid.UUID, user: Viewer, db: DbSession) -> Response:
    return json_response(document_details(db, user, document_id))


def document_details(db: Session, user: User, document_id: uuid.UUID) -> DocumentOut:
    """The document as the user sees it (404 if they may not), with its versions and pages."""
    return _document_out(db, user, _document(db, user, document_id))


@router.get("/documents/{document_id}/versions", response_model=list[VersionListItem])
def list_versions(document_id: uuid.UUID, user: Viewer, db: DbSession) -> list[VersionListItem]:
    document = _document(db, user, document_id)
    return [
        VersionListItem(id=v.id, number=v.number, short_description=v.short_description)
        for v in sorted(document.versions, key=lambda v: v.number, reverse=True)
    ]


@router.get("/documents/{document_id}/last-version/", response_model=DocumentVersionOut)
def last_version(document_id: uuid.UUID, user: Viewer, db: DbSession) -> DocumentVersionOut:
    return _version_for_caller(db, user, _document(db, user, document_id).last_version)


@router.get("/document-versions/{version_id}", response_model=DocumentVersionOut)
def get_version(version_id: uuid.UUID, user: Viewer, db: DbSession) -> DocumentVersionOut:
    version = _version(db, user, version_id)
    return _version_for_caller(db, user, version)


@router.get(
    "/document-versions/{version_id}/download",
    response_class=FileResponse,
    responses={307: {"description": "MAIN__FILE_SERVER=s3: to a signed URL of the file"}},
)
@router.head(
    "/document-versions/{version_id}/download",
    response_class=FileResponse,
    responses={307: {"description": "MAIN__FILE_SERVER=s3: to a signed URL of the file"}},
)
def download_version(
    version_id: uuid.UUID, request: Request, user: Downloader, db: DbSession, storage: Storage
) -> Response:
    """The version's file; ``HEAD`` answers its headers (type, length, name) alone."""
    version, file_name = _downloadable(db, user, version_id)
    if request.method == "GET":
        audit.record_download(db, version)
    return file_response(
        request,
        storage,
        docver_key(version.id, file_name),
        media_type=version.mime_type or "application/octet-stream",
        file_name=file_name,
    )


@router.get("/document-versions/{version_id}/download-url", response_model=DownloadUrl)
def download_url(
    version_id: uuid.UUID, request: Request, user: Downloader, db: DbSession, storage: Storage
) -> JSONResponse:
    """Where to download the version: a signed bucket URL with MAIN__FILE_SERVER=s3."""
    version, file_name = _downloadable(db, user, version_id)
    url = signed_url(request, storage, docver_key(version.id, file_name), file_name)
    if url is not None:
        audit.record_download(db, version)
    return JSONResponse({"downloadURL": url or f"/api/document-versions/{version.id}/download"})


@router.get(
    "/thumbnails/{document_id}",
    response_class=FileResponse,
    response_model=None,
    responses={309: {"description": "the document has no file yet"}},
)
def get_thumbnail(
    document_id: uuid.UUID,
    request: Request,
    user: Viewer,
    db: DbSession,
    storage: Storage,
    settings: AppSettings,
) -> Response:
    document = _document(db, user, document_id)
    key = thumbnail(
        db, storage, document, settings.preview.thumbnail_size, Limits.from_settings(settings)
    )
    if key is None:
        # Upstream's status for "no file yet"; its web UI polls until it gets an image.
        return JSONResponse(status_code=309, content={"detail": "Not ready for preview yet"})
    return file_response(request, storage, key, media_type="image/jpeg")
