"""The FastAPI application: routers under /api, OpenAPI at /docs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request, Response, status
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from quire import __version__
from quire.core.collector import freeze_start_up_objects
from quire.core.config import Settings, get_settings
from quire.core.db import Database
from quire.core.events import announce_for
from quire.core.files import UnrenderablePage
from quire.core.storage import MissingFile, StorageUnavailable, open_storage
from quire.core.tasks.distributed import Dispatcher
from quire.core.tasks.embedded import EmbeddedRunner, InFlight
from quire.core.tasks.registry import load_tasks
from quire.features import register_features
from quire.notify.app import start_hub
from quire.notify.endpoint import endpoint as notify_endpoint
from quire.search.indexer import prepare_at_start
from quire.web.api import (
    audit_logs,
    auth,
    custom_fields,
    document_fields,
    document_types,
    documents,
    events,
    groups,
    misc,
    nodes,
    nodes_bulk,
    page_operations,
    pages,
    roles,
    search,
    shared_nodes,
    tags,
    tasks,
    tokens,
    trash,
    users,
)
from quire.web.body_guard import CredentialsBeforeBody, too_large
from quire.web.client import ForwardedClient
from quire.web.cors import Cors
from quire.web.in_flight import CountInFlight
from quire.web.ui import error_page, http_error_page, is_ui_path, mount_ui

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Background work starts and stops with the app: arq dispatcher or embedded runner."""
    settings: Settings = app.state.settings
    await asyncio.to_thread(prepare_at_start, app.state.db, settings)
    # What processes that died here left in their scratch folders (staging, OCR's temp files).
    swept = await asyncio.to_thread(app.state.storage.sweep_scratch)
    if swept:
        log.info("swept dead processes' scratch folders", extra={"removed": swept})
    # Every task's module now, not in the first request that queues work (an upload paid for
    # importing the search engine's, OCR's and the bucket's libraries: 0.1-0.4 s).
    await asyncio.to_thread(load_tasks)
    freeze_start_up_objects()
    # /ws on this process: the embedded default's notifications (and a single host's).
    app.state.notify_hub = await start_hub(app.state.db, settings)
    try:
        async with _background_work(app, settings):
            yield
    finally:
        await app.state.notify_hub.stop()


@asynccontextmanager
async def _background_work(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """The arq dispatcher (with Redis) or the embedded runner, for as long as the app runs."""
    if settings.redis.url:
        dispatcher = asyncio.create_task(Dispatcher(app.state.db, settings).run())
        yield
        dispatcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dispatcher
    elif settings.tasks.run_embedded:
        runner = EmbeddedRunner(app.state.db, app.state.storage, settings, app.state.in_flight)
        runner.start()
        yield
        await asyncio.to_thread(runner.stop)
    else:
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    # First: core finds a feature's storage backend and tasks only once it is registered.
    register_features()
    settings = settings or get_settings()
    if settings.security.secret_key is None:
        raise SystemExit(
            "SECURITY__SECRET_KEY is not set: set QUIRE__SECURITY__SECRET_KEY "
            "(or PAPERMERGE__SECURITY__SECRET_KEY) to a long random string"
        )
    app = FastAPI(
        title="Quire",
        version=__version__,
        description="Document management: upload, OCR, file and search documents.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = Database(
        settings.database_url,
        pool_size=settings.database.pool_size,
        echo=settings.database.echo,
    )
    app.state.storage = open_storage(settings)
    app.state.in_flight = InFlight()
    announce_for(settings)

    for module in (
        auth,
        audit_logs,
        tokens,
        users,
        groups,
        roles,
        # Before nodes: its /nodes/{node_id}/tags would take "bulk" for an id.
        nodes_bulk,
        nodes,
        trash,
        shared_nodes,
        tags,
        custom_fields,
        document_types,
        documents,
        document_fields,
        pages,
        page_operations,
        events,
        search,
        tasks,
        misc,
    ):
        # Every body but an upload's: refused past this before it is all read (body_guard.py).
        # Set per router, not on the app: the app's limiter sits outside our middleware and
        # would answer in plain text.
        app.include_router(
            module.router, prefix="/api", max_body_size=settings.main.max_body_size_kb << 10
        )
    app.include_router(
        documents.upload_router,
        prefix="/api",
        max_body_size=(settings.main.max_file_size_mb << 20) + documents.MULTIPART_SLACK,
    )
    # The notifications' socket (quire.notify); behind a load balancer, /ws goes to the
    # `quire notify` nodes instead, and this one serves only what reaches it directly.
    app.add_api_websocket_route("/ws", notify_endpoint)
    # The web UI's pages at /, after the API: its routes never shadow an API path.
    mount_ui(app)
    # Middleware added later runs earlier. Nothing reads a body before CredentialsBeforeBody
    # has seen a credential; CORS answers preflights and marks every answer, 401s included;
    # first of all, ForwardedClient notes the connection's peer and the forwarded client.
    app.add_middleware(CredentialsBeforeBody, database=app.state.db, settings=settings)
    if settings.security.cors_origins:
        app.add_middleware(Cors, origins=settings.security.cors_origins)
    app.add_middleware(ForwardedClient, settings=settings.security)
    # Outermost: the embedded runner's tasks wait for a lull in what this counts.
    app.add_middleware(CountInFlight, in_flight=app.state.in_flight)

    @app.exception_handler(StorageUnavailable)
    async def storage_unavailable(request: Request, exc: StorageUnavailable) -> JSONResponse:
        log.warning("storage unavailable", extra={"path": request.url.path, "error": str(exc)})
        return JSONResponse(
            status_code=503,
            content={"detail": f"file storage unavailable, nothing was changed: {exc}"},
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(UnrenderablePage)
    async def unrenderable(request: Request, exc: UnrenderablePage) -> JSONResponse:
        log.warning("page cannot be drawn", extra={"path": request.url.path, "error": str(exc)})
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(MissingFile)
    async def missing_file(request: Request, exc: MissingFile) -> JSONResponse:
        log.error("file missing from storage", extra={"path": request.url.path, "key": str(exc)})
        return JSONResponse(status_code=404, content={"detail": "the file is missing from storage"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Starlette's body limit raises its own HTTPException (ours are FastAPI's): say the limit.
        if exc.status_code == status.HTTP_413_CONTENT_TOO_LARGE and not isinstance(
            exc, HTTPException
        ):
            return too_large(request.scope)
        if is_ui_path(request.url.path):
            return http_error_page(request, exc)
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        # A page's URL with a malformed id is a page that does not exist.
        if is_ui_path(request.url.path):
            return error_page(request, status.HTTP_404_NOT_FOUND)
        return await request_validation_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "internal server error"})

    return app
