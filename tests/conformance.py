"""Comparing Quire's OpenAPI document with Papermerge 3.5.3's (for the conformance test).

Upstream's document lists its paths without the ``/api`` prefix that its nginx strips; Quire
serves them under ``/api``. Operations are compared by method and path, with path parameters
as ``{}`` whatever their names (a client only fills them in). A response field is a property
of an operation's success (2xx) JSON response, named by its path from the top: ``items[].id``,
``breadcrumb[][1]`` (a tuple's second place). Each field upstream declares must be declared by
Quire too, recursively; Quire may declare more. Where upstream answers one of several shapes
(``Document | Folder``), each must be matched by one of Quire's.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

Schema = dict[str, Any]

REPO = Path(__file__).resolve().parent.parent
UPSTREAM_OPENAPI = Path(
    os.environ.get(
        "QUIRE_PAPERMERGE_OPENAPI",
        REPO / "tests" / "reference" / "papermerge-3.5.3-openapi.json",
    )
)
# Upstream operations that another issue brings, with the issue; each must still be missing
# (the test says so once it is not, and it leaves this list).
DEFERRED: dict[tuple[str, str], str] = {}
SUCCESS_JSON = "application/json"


def normal_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def operations(document: Schema, prefix: str = "") -> dict[tuple[str, str], Schema]:
    """``{(METHOD, path with {} parameters): operation}``."""
    return {
        (method.upper(), normal_path(prefix + path)): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "delete", "patch", "head", "options"}
    }


def success_schema(operation: Schema) -> Schema | None:
    """The JSON schema of the operation's first 2xx response, if it declares one."""
    for code, response in sorted(operation.get("responses", {}).items()):
        if code.startswith("2"):
            schema = response.get("content", {}).get(SUCCESS_JSON, {}).get("schema")
            return schema if schema else None
    return None


@dataclass
class FieldCheck:
    """Upstream's fields of one response and which of them Quire's lacks."""

    upstream: Schema
    quire: Schema
    checked: int = 0
    missing: list[str] = field(default_factory=list)

    def run(self, up: Schema, ours: Schema) -> FieldCheck:
        self._compare(up, ours, "", frozenset())
        return self

    def _resolve(self, document: Schema, schema: Schema) -> tuple[Schema, str | None]:
        name = None
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = document["components"]["schemas"][name]
        return schema, name

    def _variants(self, document: Schema, schema: Schema) -> Iterator[tuple[Schema, str | None]]:
        schema, name = self._resolve(document, schema)
        alternatives = schema.get("anyOf") or schema.get("oneOf")
        if alternatives is None:
            yield schema, name
            return
        for alternative in alternatives:
            for variant, variant_name in self._variants(document, alternative):
                if variant.get("type") != "null":
                    yield variant, variant_name or name

    def _compare(self, up: Schema, ours: Schema, path: str, seen: frozenset[object]) -> None:
        ours_variants = list(self._variants(self.quire, ours))
        for up_variant, up_name in self._variants(self.upstream, up):
            best: FieldCheck | None = None
            for our_variant, our_name in ours_variants:
                key = (up_name, our_name)
                if up_name is not None and key in seen:
                    best = FieldCheck(self.upstream, self.quire)  # already compared above
                    break
                trial = FieldCheck(self.upstream, self.quire)
                trial._shape(up_variant, our_variant, path, seen | {key})
                if best is None or len(trial.missing) < len(best.missing):
                    best = trial
            if best is None:
                best = FieldCheck(self.upstream, self.quire, missing=[path or "(response)"])
            self.checked += best.checked
            self.missing += best.missing

    def _shape(self, up: Schema, ours: Schema, path: str, seen: frozenset[object]) -> None:
        if "prefixItems" in up:
            our_items = ours.get("prefixItems", [])
            for place, item in enumerate(up["prefixItems"]):
                self._field(
                    f"{path}[{place}]",
                    item,
                    our_items[place] if place < len(our_items) else None,
                    seen,
                )
        elif "items" in up:
            self._descend(up["items"], ours.get("items"), f"{path}[]", seen)
        for name, sub in (up.get("properties") or {}).items():
            ours_sub = (ours.get("properties") or {}).get(name)
            self._field(f"{path}.{name}" if path else name, sub, ours_sub, seen)
        if isinstance(up.get("additionalProperties"), dict):
            extra = ours.get("additionalProperties")
            self._descend(
                up["additionalProperties"],
                extra if isinstance(extra, dict) else None,
                f"{path}{{}}",
                seen,
            )

    def _field(self, path: str, up: Schema, ours: Schema | None, seen: frozenset[object]) -> None:
        self.checked += 1
        if ours is None:
            self.missing.append(path)
        else:
            self._compare(up, ours, path, seen)

    def _descend(self, up: Schema, ours: Schema | None, path: str, seen: frozenset[object]) -> None:
        if ours is None:
            self.missing.append(path)
        else:
            self._compare(up, ours, path, seen)


def load_upstream() -> Schema:
    if not UPSTREAM_OPENAPI.is_file():
        raise AssertionError(
            f"Papermerge 3.5.3's OpenAPI document is not at {UPSTREAM_OPENAPI} "
            "(set QUIRE_PAPERMERGE_OPENAPI to where it is)"
        )
    return json.loads(UPSTREAM_OPENAPI.read_text())  # type: ignore[no-any-return]


def concrete(path: str) -> str:
    """The path with each parameter filled in, as a client would call it."""
    return re.sub(r"\{[^}]+\}", "0b6e5c50-8f8e-4f6e-9a55-6f5d6c1d2e3f", path)


class RouteRecorder:
    """The app, noting which route answered each request (Starlette keeps it in the scope)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.route: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.route = None
        await self.app(scope, receive, send)
        route = scope.get("route")
        self.route = getattr(route, "path", None)


def routed_to(client: TestClient, recorder: RouteRecorder, method: str, path: str) -> str | None:
    """The path template of the route that answers ``method path`` (without the ``/api`` the
    app adds to its routers), called as a client would, without credentials or body."""
    client.request(method, path)
    return recorder.route
