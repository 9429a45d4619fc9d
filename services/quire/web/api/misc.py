"""Service endpoints: ``/api/version/`` and the health probe ``/api/probe/``."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from quire import __version__
from quire.core.storage import StorageUnavailable
from quire.web.deps import CurrentUser, DbSession, Storage

router = APIRouter(tags=["misc"])


class Version(BaseModel):
    version: str


class Probe(BaseModel):
    status: str
    database: str
    storage: str


@router.get("/version/", response_model=Version)
def version(user: CurrentUser) -> Version:
    """The running version; for signed-in users only, as upstream (it helps an attacker)."""
    return Version(version=__version__)


@router.get("/probe/", response_model=Probe)
def probe(db: DbSession, storage: Storage) -> Probe:
    """Liveness and readiness, without authentication: the database answers, storage is there."""
    try:
        db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail="database unreachable"
        ) from exc
    try:
        storage.check()
    except StorageUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from exc
    return Probe(status="ok", database="ok", storage="ok")
