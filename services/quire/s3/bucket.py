"""The bucket: boto3 with Quire's settings, integrity checks and signed URLs.

Every object is sent with a Content-MD5 (each part, for a multipart upload), which every
S3-compatible server checks on receipt, and carries the SHA-256 of the whole file in its
metadata (``x-amz-meta-sha256``), which ``quire s3 sync --verify`` compares with the source.
The newer flexible checksums (CRC32, ``x-amz-checksum-*``) are only sent where an operation
requires them: several S3-compatible servers refuse them.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.signers import CloudFrontSigner

from quire.core.config import Settings
from quire.core.storage import CHUNK_SIZE, MissingFile, Storage, StorageUnavailable, sha256_of

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

log = logging.getLogger("quire.s3")
T = TypeVar("T")
MB = 1 << 20
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class ObjectInfo:
    key: PurePosixPath  # Quire's key, without the prefix
    size: int
    modified: datetime
    sha256: str | None = None  # from the metadata: only a HEAD returns it
    etag: str | None = None  # from a listing: the MD5 of what the server received (no SSE-KMS)


class Bucket:
    def __init__(self, settings: Settings, client: S3Client | None = None) -> None:
        s3 = settings.s3
        assert s3.bucket_name, "S3__BUCKET_NAME is not set"
        self.name = s3.bucket_name
        self.prefix = settings.main.prefix.strip("/")
        self.settings = settings
        self.client = client or make_client(settings)
        self.signer = make_client(settings, public=True) if s3.public_endpoint_url else self.client
        self.part_size = s3.multipart_chunksize_mb * MB
        self.threshold = s3.multipart_threshold_mb * MB
        self.extra: dict[str, str] = {}
        if s3.server_side_encryption != "none":
            self.extra["ServerSideEncryption"] = s3.server_side_encryption
            if s3.sse_kms_key_id:
                self.extra["SSEKMSKeyId"] = s3.sse_kms_key_id

    # -- names ----------------------------------------------------------------------------------

    def object_name(self, key: PurePosixPath) -> str:
        return f"{self.prefix}/{key}" if self.prefix else str(key)

    def quire_key(self, name: str) -> PurePosixPath | None:
        """The key an object name stands for, or None for an object outside our prefix."""
        if self.prefix:
            head, _, rest = name.partition("/")
            if head != self.prefix or not rest:
                return None
            name = rest
        return PurePosixPath(name) if name and not name.endswith("/") else None

    # -- reading --------------------------------------------------------------------------------

    def check(self) -> None:
        self._call(lambda: self.client.head_bucket(Bucket=self.name))

    def head(self, key: PurePosixPath) -> ObjectInfo | None:
        try:
            found = self._call(
                lambda: self.client.head_object(Bucket=self.name, Key=self.object_name(key))
            )
        except MissingFile:
            return None
        return ObjectInfo(
            key=key,
            size=found["ContentLength"],
            modified=found["LastModified"],
            sha256=found.get("Metadata", {}).get("sha256"),
        )

    def listing(self, under: str = "") -> Iterator[ObjectInfo]:
        """Every object (under a folder of the layout), a thousand per request."""
        start = self.object_name(PurePosixPath(under)) if under else self.prefix
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.name, Prefix=f"{start}/" if start else ""
        )
        iterator = iter(pages)
        while True:
            page = self._call(lambda: next(iterator, None))
            if page is None:
                return
            for item in page.get("Contents", []):
                key = self.quire_key(item["Key"])
                if key is not None:
                    etag = item.get("ETag", "").strip('"') or None
                    yield ObjectInfo(key, item["Size"], item["LastModified"], etag=etag)

    def download(self, key: PurePosixPath, target: Path) -> None:
        """Write the object to ``target`` (a new file; the caller renames it into place)."""

        def fetch() -> None:
            answer = self.client.get_object(Bucket=self.name, Key=self.object_name(key))
            with target.open("wb") as out:
                for chunk in answer["Body"].iter_chunks(CHUNK_SIZE):
                    out.write(chunk)

        self._call(fetch)

    def read_bytes(self, key: PurePosixPath) -> bytes:
        def fetch() -> bytes:
            answer = self.client.get_object(Bucket=self.name, Key=self.object_name(key))
            return answer["Body"].read()

        return self._call(fetch)

    def sha256_of_object(self, key: PurePosixPath) -> str:
        """Read the object back and hash it (``--verify`` of a file with no local copy)."""

        def digest() -> str:
            answer = self.client.get_object(Bucket=self.name, Key=self.object_name(key))
            sha = hashlib.sha256()
            for chunk in answer["Body"].iter_chunks(CHUNK_SIZE):
                sha.update(chunk)
            return sha.hexdigest()

        return self._call(digest)

    # -- writing --------------------------------------------------------------------------------

    def put_bytes(self, key: PurePosixPath, data: bytes, sha256: str | None = None) -> str:
        sha256 = sha256 or hashlib.sha256(data).hexdigest()
        self._call(
            lambda: self.client.put_object(
                Bucket=self.name,
                Key=self.object_name(key),
                Body=data,
                ContentMD5=_md5(data),
                ContentType=_content_type(key),
                Metadata={"sha256": sha256},
                **self.extra,  # type: ignore[arg-type]
            )
        )
        return sha256

    def put_file(self, key: PurePosixPath, path: Path, sha256: str | None = None) -> str:
        """Upload a file (in parts from the threshold up); returns its SHA-256.

        Pass ``sha256`` when it is known (an upload's was computed as it arrived): else the
        file is read once more, since the object's metadata must carry it from the start.
        """
        size = path.stat().st_size
        if size < self.threshold:
            return self.put_bytes(key, path.read_bytes(), sha256)
        sha256 = sha256 or sha256_of(path)
        name = self.object_name(key)
        started = self._call(
            lambda: self.client.create_multipart_upload(
                Bucket=self.name,
                Key=name,
                ContentType=_content_type(key),
                Metadata={"sha256": sha256},
                **self.extra,  # type: ignore[arg-type]
            )
        )
        upload_id = started["UploadId"]

        def send(number: int) -> CompletedPartTypeDef:
            with path.open("rb") as handle:
                handle.seek((number - 1) * self.part_size)
                body = handle.read(self.part_size)
            answer = self.client.upload_part(
                Bucket=self.name,
                Key=name,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
                ContentMD5=_md5(body),
            )
            return {"ETag": answer["ETag"], "PartNumber": number}

        try:
            workers = self.settings.s3.max_concurrency
            with ThreadPoolExecutor(workers, thread_name_prefix="quire-s3-part") as pool:
                parts = self._call(
                    lambda: list(pool.map(send, range(1, -(-size // self.part_size) + 1)))
                )
            self._call(
                lambda: self.client.complete_multipart_upload(
                    Bucket=self.name, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
            )
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.name, Key=name, UploadId=upload_id)
            except (BotoCoreError, ClientError):
                log.warning("could not abort a multipart upload", extra={"key": name})
            raise
        return sha256

    def delete(self, key: PurePosixPath) -> None:
        # One by one: DeleteObjects needs a flexible checksum that some servers refuse.
        self._call(lambda: self.client.delete_object(Bucket=self.name, Key=self.object_name(key)))

    def delete_folder(self, key: PurePosixPath) -> None:
        """Delete every object beside ``key`` (the folder of one version, one page)."""
        for found in list(self.listing(str(key.parent))):
            self.delete(found.key)

    # -- signed URLs ----------------------------------------------------------------------------

    def signed_url(self, key: PurePosixPath, *, file_name: str | None = None) -> str:
        """A URL that serves the object for ``S3__PRESIGN_EXPIRES_SECONDS``, on the CloudFront
        domain when one is set (MAIN__CF_*), else on the bucket (or S3__PUBLIC_ENDPOINT_URL)."""
        expires = self.settings.s3.presign_expires_seconds
        disposition = _disposition(file_name) if file_name else None
        main = self.settings.main
        if main.cf_domain and main.cf_sign_url_key_id and main.cf_sign_url_private_key:
            url = f"https://{main.cf_domain}/{quote(self.object_name(key))}"
            if disposition:
                url += "?response-content-disposition=" + quote(disposition, safe="")
            signer = CloudFrontSigner(
                main.cf_sign_url_key_id,
                _rsa_signer(main.cf_sign_url_private_key.get_secret_value()),
            )
            return signer.generate_presigned_url(
                url, date_less_than=datetime.now(UTC) + timedelta(seconds=expires)
            )
        params = {"Bucket": self.name, "Key": self.object_name(key)}
        if disposition:
            params["ResponseContentDisposition"] = disposition
        return self.signer.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    # -- helpers --------------------------------------------------------------------------------

    def _call(self, call: Callable[[], T]) -> T:
        """Run a boto3 call; a missing object is MissingFile, a server we cannot use is
        StorageUnavailable (with what went wrong, never the credentials)."""
        try:
            return call()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in NOT_FOUND:
                raise MissingFile(code) from exc
            raise StorageUnavailable(
                f"the bucket {self.name!r} refused: {code} {error.get('Message', '')}".strip()
            ) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable(f"the bucket {self.name!r} is unreachable: {exc}") from exc


_buckets: dict[str, Bucket] = {}


def forget_buckets() -> None:
    """Drop the clients ``bucket_for`` keeps (settings changed under a running process)."""
    _buckets.clear()


def bucket_for(settings: Settings, storage: Storage | None = None) -> Bucket:
    """The storage's bucket in primary mode, else one per configuration (boto3 clients are
    thread-safe and slow to make)."""
    own = getattr(storage, "bucket", None)
    if isinstance(own, Bucket):
        return own
    secret = settings.s3.secret_access_key
    fingerprint = settings.model_dump_json(include={"s3", "main"}) + (
        secret.get_secret_value() if secret else ""
    )
    if fingerprint not in _buckets:
        _buckets[fingerprint] = Bucket(settings)
    return _buckets[fingerprint]


def make_client(settings: Settings, *, public: bool = False) -> S3Client:
    s3 = settings.s3
    config = Config(
        region_name=s3.region_name or os.environ.get("AWS_REGION_NAME"),
        signature_version="s3v4",
        s3={"addressing_style": s3.addressing_style},
        connect_timeout=s3.connect_timeout_seconds,
        read_timeout=s3.read_timeout_seconds,
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=max(10, s3.max_concurrency * 2),
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    secret = s3.secret_access_key.get_secret_value() if s3.secret_access_key else None
    client: S3Client = boto3.session.Session().client(
        "s3",
        endpoint_url=(s3.public_endpoint_url if public else None) or s3.endpoint_url,
        aws_access_key_id=s3.access_key_id,
        aws_secret_access_key=secret,
        config=config,
    )
    return client


def _md5(data: bytes) -> str:
    """The Content-MD5 header: the server refuses the body unless it has this MD5."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()


def _content_type(key: PurePosixPath) -> str:
    return mimetypes.guess_type(key.name)[0] or "application/octet-stream"


def _disposition(file_name: str) -> str:
    ascii_name = file_name.encode("ascii", "replace").decode().replace('"', "'")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}"


def _rsa_signer(private_key_pem: str) -> Callable[[bytes], bytes]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("MAIN__CF_SIGN_URL_PRIVATE_KEY must be an RSA private key")

    def sign(message: bytes) -> bytes:
        # CloudFront's signed URLs are RSA-SHA1: its format, not our choice.
        return key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303

    return sign
