"""Quire serves every operation of Papermerge 3.5.3's REST API, with every response field.

Read from upstream's own OpenAPI document (``tests/conformance.py`` says how it is compared):
each of its operations must be in Quire's ``/openapi.json`` (but those ``DEFERRED`` to another
issue, which must still be missing), reached by its own route rather than caught by another
(``/users/{user_id}`` answered ``/users/group-homes`` with a 422), and every response field it
declares must be declared by Quire's response model. The coverage is printed at the end of the
run (``pytest_terminal_summary`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from quire.web.app import create_app
from tests.conformance import (
    DEFERRED,
    FieldCheck,
    RouteRecorder,
    concrete,
    load_upstream,
    normal_path,
    operations,
    routed_to,
    success_schema,
)
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def quire_app(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    data = tmp_path_factory.mktemp("conformance")
    # The OpenAPI document and the routing table need no database: it is never opened.
    app = create_app(make_settings(f"sqlite:///{data / 'unused.sqlite3'}", data))
    yield app
    app.state.db.dispose()


def test_every_papermerge_operation_and_response_field_is_served(quire_app, record_property):
    upstream = load_upstream()
    recorder = RouteRecorder(quire_app)
    with TestClient(recorder) as client:
        ours_document = client.get("/openapi.json").json()
        shadowed = _shadowed(client, recorder, upstream)
    theirs, ours = operations(upstream), operations(ours_document)
    missing, still_deferred, fields = [], [], FieldCheck(upstream, ours_document)
    for (method, path), operation in sorted(theirs.items()):
        served = ours.get((method, "/api" + path))
        if (method, path) in DEFERRED:
            if served is None:
                still_deferred.append(f"{method} {path}")
            else:
                missing.append(f"{method} {path} is served now: take it off DEFERRED")
            continue
        if served is None:
            missing.append(f"{method} {path}")
            continue
        up_schema, our_schema = success_schema(operation), success_schema(served)
        if up_schema is not None:
            check = FieldCheck(upstream, ours_document).run(up_schema, our_schema or {})
            fields.checked += check.checked
            fields.missing += [f"{method} {path}: {name}" for name in check.missing]
    present = len(theirs) - len(missing) - len(still_deferred)
    summary = (
        f"Papermerge 3.5.3 conformance: operations {present}/{len(theirs)} served"
        + (
            f" ({len(still_deferred)} deferred to their issues: {', '.join(still_deferred)})"
            if still_deferred
            else ""
        )
        + f"; response fields {fields.checked - len(fields.missing)}/{fields.checked} declared"
        " (extras allowed)"
    )
    print(summary)
    record_property("papermerge_coverage", summary)
    assert missing == []
    assert shadowed == []
    assert fields.missing == []


def _shadowed(client, recorder, upstream) -> list[str]:
    """Upstream operations that a route of another path answers (or none does)."""
    wrong = []
    for method, path in sorted(operations(upstream)):
        if (method, path) in DEFERRED:
            continue
        route = routed_to(client, recorder, method, concrete("/api" + path))
        if route is None or normal_path(route) != path:
            wrong.append(f"{method} {path} is answered by {route}")
    return wrong


def _doc(paths: dict, schemas: dict) -> dict:
    return {"paths": paths, "components": {"schemas": schemas}}


def test_the_comparison_finds_a_missing_field_and_a_missing_variant():
    """The check itself: a field of a nested item, and a union's shape Quire lacks."""
    node = {
        "type": "object",
        "properties": {
            "id": {},
            "breadcrumb": {"type": "array", "items": {"prefixItems": [{}, {}]}},
        },
    }
    upstream = _doc(
        {},
        {
            "Node": node,
            "Page": {
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}
                }
            },
        },
    )
    ours_node = {
        "type": "object",
        "properties": {"id": {}, "breadcrumb": {"type": "array", "items": {"prefixItems": [{}]}}},
    }
    ours = _doc(
        {},
        {
            "N": ours_node,
            "P": {
                "properties": {
                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/N"}}
                }
            },
        },
    )
    check = FieldCheck(upstream, ours).run(
        {"$ref": "#/components/schemas/Page"}, {"$ref": "#/components/schemas/P"}
    )
    assert check.missing == ["items[].breadcrumb[][1]"]
    union = {"anyOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}, {"type": "null"}]}
    one_shape = {"anyOf": [{"properties": {"a": {}, "c": {}}}]}
    assert FieldCheck(_doc({}, {}), _doc({}, {})).run(union, one_shape).missing == ["b"]


def test_upstream_document_is_the_one_measured():
    """80 operations in Papermerge 3.5.3's document, as the issue counted them."""
    assert len(operations(load_upstream())) == 80
