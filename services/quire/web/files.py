"""Serving stored files: from this process, or by a redirect to a signed URL.

With ``MAIN__FILE_SERVER=s3`` a download, thumbnail or page preview answers 307 to a URL
signed for ``S3__PRESIGN_EXPIRES_SECONDS`` on the bucket (or the CloudFront domain), so the
bytes do not pass through the web process; the permission check has run before. In mirror
mode a file not yet copied to the bucket is served locally meanwhile.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from fastapi import Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from quire.core.config import Settings
from quire.core.storage import Storage, mutable

if TYPE_CHECKING:
    from quire.s3.bucket import Bucket


def signed_url(
    request: Request, storage: Storage, key: PurePosixPath, file_name: str | None = None
) -> str | None:
    """A signed URL for the file when files are served from the bucket and it is there."""
    settings: Settings = request.app.state.settings
    if settings.main.file_server != "s3":
        return None
    bucket = _bucket(request, storage)
    if not storage.in_bucket and bucket.head(key) is None:
        return None
    return bucket.signed_url(key, file_name=file_name)


def file_response(
    request: Request,
    storage: Storage,
    key: PurePosixPath,
    *,
    media_type: str,
    file_name: str | None = None,
) -> Response:
    url = signed_url(request, storage, key, file_name)
    if url is not None:
        return RedirectResponse(url, status_code=307)
    if storage.in_bucket and mutable(key):
        # Read through, not cached: another host may draw it again at any time.
        return Response(storage.read_bytes(key), media_type=media_type)
    return FileResponse(storage.fetch(key), media_type=media_type, filename=file_name)


def _bucket(request: Request, storage: Storage) -> Bucket:
    from quire.s3.bucket import bucket_for

    return bucket_for(request.app.state.settings, storage)
