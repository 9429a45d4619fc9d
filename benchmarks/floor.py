"""The floors Quire's endpoints are measured against: bare FastAPI endpoints in their own uvicorn.

- ``GET /ping``: a plain ``def`` answering a constant, what any FastAPI service pays.
- ``GET /listing/{folder_id}``: a folder listing's page (same page, same order, same columns and
  tags as ``GET /api/nodes/{folder}``) in raw SQL on one pooled connection, counted as the API
  counts (in the page's statement, or on its own for a page past the end), written out with
  ``json.dumps``: what serving that page costs without Quire's
  authentication, access rule and schemas. The database is ``QUIRE_BENCH_FLOOR_DB``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cache
from typing import Any

from fastapi import FastAPI, Response
from sqlalchemy import Engine, Uuid, bindparam, create_engine, text

from benchmarks.server import _free_port, serving

DATABASE_VARIABLE = "QUIRE_BENCH_FLOOR_DB"

COUNT_SQL = text("SELECT count(*) FROM nodes WHERE parent_id = :folder").bindparams(
    bindparam("folder", type_=Uuid)
)
PAGE_SQL = text(
    """
    SELECT n.id, n.title, n.ctype, n.parent_id, n.user_id, n.created_at, n.updated_at,
           d.ocr, d.ocr_status, d.document_type_id, t.name AS tag, t.bg_color, t.fg_color,
           (SELECT count(*) FROM nodes WHERE parent_id = :folder) AS total
    FROM (SELECT id FROM nodes WHERE parent_id = :folder
          ORDER BY ctype DESC, title, created_at, id LIMIT :page_size OFFSET :offset) AS page
    JOIN nodes n ON n.id = page.id
    LEFT JOIN documents d ON d.id = n.id
    LEFT JOIN nodes_tags nt ON nt.node_id = n.id
    LEFT JOIN tags t ON t.id = nt.tag_id
    ORDER BY n.ctype DESC, n.title, n.created_at, n.id
    """
).bindparams(bindparam("folder", type_=Uuid))

app = FastAPI()


@cache
def _engine() -> Engine:
    return create_engine(os.environ[DATABASE_VARIABLE], pool_size=1)


@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


@app.get("/listing/{folder}")
def listing(folder: uuid.UUID, page_number: int = 1, page_size: int = 50) -> Response:
    with _engine().connect() as connection:
        rows = connection.execute(
            PAGE_SQL,
            {"folder": folder, "page_size": page_size, "offset": (page_number - 1) * page_size},
        ).mappings()
        items: dict[str, dict[str, Any]] = {}
        total = None
        for row in rows:
            total = row["total"]
            values = {key: _json_value(value) for key, value in row.items() if key != "total"}
            item = items.setdefault(values["id"], {**values, "tags": []})
            if values["tag"] is not None:
                item["tags"].append({k: values[k] for k in ("tag", "bg_color", "fg_color")})
        if total is None:
            total = connection.execute(COUNT_SQL, {"folder": folder}).scalar_one()
    body = {
        "page_size": page_size,
        "page_number": page_number,
        "num_pages": -(-total // page_size),
        "items": list(items.values()),
    }
    return Response(json.dumps(body), media_type="application/json")


@contextmanager
def floor_server(database_url: str | None = None) -> Iterator[str]:
    """This app in one uvicorn worker, run as ``quire serve`` runs Quire; its base URL."""
    port = _free_port()
    env = dict(os.environ)
    if database_url is not None:
        env[DATABASE_VARIABLE] = database_url
    arguments = ["-m", "uvicorn", "benchmarks.floor:app", "--port", str(port)]
    quiet = ["--log-level", "warning", "--no-access-log"]
    with serving([*arguments, *quiet], env, port, "/ping", 30) as base:
        yield base
