"""Schema fuzzing: Schemathesis makes requests for every operation of ``/openapi.json``, valid
and invalid by the schema, and no answer may be a server error (``not_a_server_error``).

It runs in-process against the test app (``schemathesis.openapi.from_asgi``): the real routers,
database, storage and Tantivy index, no mocks. Authenticated as a user holding every scope,
with real ids of seeded folders, documents, tags, ... swapped into the path parameters of about
half the requests (random ids only ever reach the 404 branch), and once more without
credentials. Bounded and reproducible: ``derandomize`` makes the examples the same on every run,
``MAX_EXAMPLES`` per operation (positive and negative cases, by the schema) keeps it around a
minute or two on two cores. SQLite only, which would otherwise triple that; the regression
test written for each finding runs on every database.

Every server error is collected, not raised at the first one, so that one run lists them all.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
from schemathesis.generation.case import Case
from schemathesis.schemas import APIOperation

from quire.core.db import Database
from quire.search.engines import engine_for, forget_engines
from tests.conftest import Account
from tests.search.conftest import Search

# For a deeper hunt than CI's: QUIRE_FUZZ_EXAMPLES=200 QUIRE_FUZZ_SEED=7 (any seed: other examples).
MAX_EXAMPLES = int(os.environ.get("QUIRE_FUZZ_EXAMPLES", "30"))
MAX_EXAMPLES_ANONYMOUS = max(1, MAX_EXAMPLES // 8)
# The operations are fuzzed in this many parts, each a test of its own on a fresh database, so
# that the test workers share the run instead of one of them taking it all.
PARTS = 4
SEED = os.environ.get("QUIRE_FUZZ_SEED")
# Which seeded ids a path parameter may take, by its name.
ID_KINDS = {
    "parent_id": "folder",
    "folder_id": "folder",
    "node_id": "node",
    "document_id": "document",
    "version_id": "version",
    "page_id": "page",
    "tag_id": "tag",
    "custom_field_id": "custom_field",
    "document_type_id": "document_type",
    "group_id": "group",
    "role_id": "role",
    "user_id": "user",
    "token_id": "token",
    "task_id": "task",
}


@dataclass
class Findings:
    """The server errors of one run: the first request of each kind (operation and error), and
    how often it happened, so a failing run lists every distinct bug once."""

    first: dict[str, str] = field(default_factory=dict)
    count: Counter[str] = field(default_factory=Counter)
    requests: int = 0

    def add(self, case: Case, what: str) -> None:
        kind = f"{case.method} {case.operation.path} {what.splitlines()[0][:160]}"
        self.count[kind] += 1
        self.first.setdefault(kind, _request(case))

    @property
    def lines(self) -> list[str]:
        return [f"{kind} (x{self.count[kind]}) e.g. {self.first[kind]}" for kind in self.first]


def _request(case: Case) -> str:
    parts = {"path": case.path_parameters, "query": case.query, "body": case.body}
    return repr({k: v for k, v in parts.items() if v and not isinstance(v, NotSet)})[:600]


@pytest.fixture
def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the fuzz run is bounded in time: SQLite only, not three times")


@pytest.fixture
def indexed(app: FastAPI, db: Database, tmp_path: Any) -> Iterator[Search]:
    """The app searching a Tantivy index of its own, like tests/search's fixture."""
    original = app.state.settings
    url = f"tantivy://{tmp_path / 'index'}"
    app.state.settings = original.model_copy(
        update={"search": original.search.model_copy(update={"url": url})}
    )
    engine_for(app.state.settings).ensure_schema()
    try:
        yield Search(app=app, db=db, settings=app.state.settings)
    finally:
        app.state.settings = original
        forget_engines()


def _created(response: Any) -> str:
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def _seed(search: Search, fuzzer: Account, other: Account) -> dict[str, list[str]]:
    """A little of everything, so that real ids reach past the 404s."""
    client = fuzzer.client
    folder = _created(
        client.post(
            "/api/nodes/", json={"title": "f", "ctype": "folder", "parent_id": fuzzer.home_id}
        )
    )
    documents = [
        search.upload(fuzzer, f"doc {n}", [f"invoice {n} total", "second page"])["id"]
        for n in range(2)
    ]
    versions, pages = [], []
    for document_id in documents:
        for version in client.get(f"/api/documents/{document_id}").json()["versions"]:
            versions.append(version["id"])
            pages.extend(page["id"] for page in version["pages"])
    tag = _created(client.post("/api/tags/", json={"name": "paid"}))
    client.post(f"/api/nodes/{documents[0]}/tags", json=["paid"])
    field_id = _created(client.post("/api/custom-fields/", json={"name": "total", "type": "int"}))
    doc_type = _created(client.post("/api/document-types/", json={"name": "invoice"}))
    role = _created(client.post("/api/roles/", json={"name": "r", "scopes": ["node.view"]}))
    group = _created(client.post("/api/groups/", json={"name": "g", "role_ids": [role]}))
    token = _created(client.post("/api/tokens/", json={"name": "t", "expires_in_days": 30}))
    task = _created(client.post("/api/tasks/ocr", json={"document_id": documents[1]}))
    return {
        "folder": [folder, fuzzer.home_id, fuzzer.inbox_id],
        "document": documents,
        "node": [folder, *documents],
        "version": versions,
        "page": pages,
        "tag": [tag],
        "custom_field": [field_id],
        "document_type": [doc_type],
        "role": [role],
        "group": [group],
        # Not the fuzzer itself: deleting or deactivating it would end the run's coverage.
        "user": [str(other.id)],
        "token": [token],
        "task": [task],
    }


def _operations(app: FastAPI) -> list[APIOperation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletes last, so the seeded rows live through everything else.
    return sorted(operations, key=lambda op: op.method.upper() == "DELETE")


def _fuzz(
    operation: APIOperation,
    findings: Findings,
    ids: dict[str, list[str]],
    headers: dict[str, str],
    max_examples: int,
) -> None:
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @seed(int(SEED or 0))
    @given(case=strategy, data=st.data())
    @settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Case, data: st.DataObject) -> None:
        _use_real_ids(case, ids, data.draw)
        findings.requests += 1
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the app raised instead of answering: a server error too
            findings.add(case, f"raised {type(exc).__name__}: {exc}")
            return
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except AssertionError:
            findings.add(case, f"answered {response.status_code}: {response.text}")

    run()


def _use_real_ids(
    case: Case, ids: dict[str, list[str]], draw: Callable[[st.SearchStrategy[Any]], Any]
) -> None:
    for name in list(case.path_parameters or {}):
        kind = ID_KINDS.get(name)
        if kind and ids.get(kind) and draw(st.booleans()):
            assert case.path_parameters is not None
            case.path_parameters[name] = draw(st.sampled_from(ids[kind]))


@pytest.mark.slow  # `make test` runs it; `make test-fast` leaves it out
@pytest.mark.parametrize("part", range(PARTS))
def test_no_operation_answers_a_server_error(
    part: int,
    sqlite_only: None,
    app: FastAPI,
    indexed: Search,
    make_account: Callable[..., Account],
) -> None:
    fuzzer, other = make_account("fuzzer"), make_account("other")
    ids = _seed(indexed, fuzzer, other)
    indexed.run_indexer()
    findings = Findings()
    token = {"Authorization": str(fuzzer.client.headers["Authorization"])}
    operations = _operations(app)[part::PARTS]
    for operation in operations:
        _fuzz(operation, findings, ids, token, MAX_EXAMPLES)
    for operation in operations:
        _fuzz(operation, findings, ids, {}, MAX_EXAMPLES_ANONYMOUS)
    print(f"fuzz: {len(operations)} operations, {findings.requests} requests")
    assert findings.requests > len(operations) * MAX_EXAMPLES // 2
    assert not findings.lines, "server errors:\n" + "\n".join(findings.lines)


def test_the_fuzzer_is_not_blind(sqlite_only: None, app: FastAPI, db: Database) -> None:
    """Every operation of the schema is loaded: a schema Schemathesis cannot read would
    otherwise make the run above pass by fuzzing nothing."""
    assert len(_operations(app)) == sum(len(ops) for ops in app.openapi()["paths"].values())
