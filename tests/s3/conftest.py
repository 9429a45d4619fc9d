"""S3 tests: a real S3-compatible server (S3Proxy, started by scripts/test-services.sh), a new
bucket for each test, and the app switched to mirror or primary mode over it."""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from fastapi import FastAPI
from sqlalchemy import select

from quire.core.config import Settings
from quire.core.db import Database
from quire.core.models import TaskRecord
from quire.core.storage import LocalStorage, Storage
from quire.core.tasks.execute import execute
from quire.s3.bucket import forget_buckets
from quire.s3.reconcile import Reconciler
from quire.s3.storage import S3Storage
from tests.services import service_url

DEAD_ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing answers


def s3_server() -> dict[str, str]:
    endpoint = service_url("QUIRE_TEST_S3_ENDPOINT")
    return {
        "endpoint_url": endpoint,
        "access_key_id": os.environ["QUIRE_TEST_S3_ACCESS_KEY"],
        "secret_access_key": os.environ["QUIRE_TEST_S3_SECRET_KEY"],
    }


def bucket_env(bucket: str) -> dict[str, str]:
    """The settings a ``quire`` process needs for the bucket on the test S3 server."""
    server = s3_server()
    return {
        "QUIRE__S3__BUCKET_NAME": bucket,
        "QUIRE__S3__ENDPOINT_URL": server["endpoint_url"],
        "QUIRE__S3__ACCESS_KEY_ID": server["access_key_id"],
        "QUIRE__S3__SECRET_ACCESS_KEY": server["secret_access_key"],
        "QUIRE__S3__REGION_NAME": "us-east-1",
        "QUIRE__S3__ADDRESSING_STYLE": "path",
    }


def raw_client():  # type: ignore[no-untyped-def]
    """boto3 as a test sees the bucket: not through Quire's code."""
    server = s3_server()
    return boto3.client(
        "s3",
        endpoint_url=server["endpoint_url"],
        aws_access_key_id=server["access_key_id"],
        aws_secret_access_key=server["secret_access_key"],
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def s3_settings(bucket: str, **extra: object) -> dict[str, object]:
    return {
        **s3_server(),
        "bucket_name": bucket,
        "region_name": "us-east-1",
        "addressing_style": "path",
        "connect_timeout_seconds": 2,
        "read_timeout_seconds": 10,
        **extra,
    }


@pytest.fixture
def bucket_name() -> Iterator[str]:
    """A new, empty bucket, removed with whatever is in it afterwards."""
    name = f"quire-t-{uuid.uuid4().hex[:12]}"
    client = raw_client()
    client.create_bucket(Bucket=name)
    yield name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


def objects(bucket: str) -> dict[str, int]:
    """Every object in the bucket (but the server's folder markers) and its size."""
    found = {}
    for page in raw_client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if not item["Key"].endswith("/"):
                found[item["Key"]] = item["Size"]
    return found


def local_files(root: Path) -> dict[str, int]:
    return {
        path.relative_to(root).as_posix(): path.stat().st_size
        for top in ("docvers", "thumbnails", "previews", "words")
        for path in (root / top).rglob("*")
        if path.is_file()
    }


@dataclass
class Mode:
    """The app on one storage mode, and a way to run its background work by hand."""

    app: FastAPI
    db: Database
    settings: Settings
    storage: Storage
    bucket: str

    def run_tasks(self, *names: str) -> list[str]:
        """Run every pending task with one of these names (all, if none), oldest first."""
        with self.db.session() as session:
            query = select(TaskRecord.id).where(TaskRecord.state == "pending")
            if names:
                query = query.where(TaskRecord.name.in_(names))
            pending = session.scalars(query.order_by(TaskRecord.created_at)).all()
        return [execute(self.db, self.storage, self.settings, task_id) for task_id in pending]

    def run_all(self) -> None:
        """Run tasks until none is pending (a task may enqueue others)."""
        for _ in range(10):
            if not self.run_tasks():
                return
        raise AssertionError("tasks kept coming")

    def reconciler(self) -> Reconciler:
        return Reconciler(self.settings, self.db, self.storage)


def _switch(app: FastAPI, db: Database, settings: Settings, storage: Storage, bucket: str):  # type: ignore[no-untyped-def]
    original = (app.state.settings, app.state.storage)
    app.state.settings, app.state.storage = settings, storage
    try:
        yield Mode(app, db, settings, storage, bucket)
    finally:
        app.state.settings, app.state.storage = original
        forget_buckets()


def _with(settings: Settings, **sections: dict[str, object]) -> Settings:
    values = settings.model_dump()
    for name, section in sections.items():
        values[name] = {**values[name], **section}
    return Settings.model_validate(values)


@pytest.fixture
def mirror(app: FastAPI, db: Database, tmp_path: Path, bucket_name: str) -> Iterator[Mode]:
    """Local media root, mirrored to the bucket."""
    settings = _with(app.state.settings, s3=s3_settings(bucket_name))
    storage = LocalStorage(tmp_path / "media", mirrored=True)
    storage.root.mkdir(exist_ok=True)
    yield from _switch(app, db, settings, storage, bucket_name)


@pytest.fixture
def primary(app: FastAPI, db: Database, tmp_path: Path, bucket_name: str) -> Iterator[Mode]:
    """The bucket as the primary storage, with a cache of its own."""
    settings = _with(
        app.state.settings,
        s3=s3_settings(bucket_name),
        storage={"backend": "s3", "cache_dir": str(tmp_path / "cache"), "cache_size_mb": 64},
    )
    yield from _switch(app, db, settings, S3Storage.from_settings(settings), bucket_name)
