"""Apache Solr 9 (SolrCloud) as the search engine, over its HTTP API.

``SEARCH__URL=solr://host:8983/<collection>`` (``solr+https://`` for TLS; ``h1:8983,h2:8983``
for several nodes, tried in turn). ``ensure_schema`` uploads the configset in ``solr/`` as
``quire-v<SCHEMA_VERSION>`` and creates the collection on it, or moves an existing collection
onto a newer one (the caller then rebuilds). Writes use ``commitWithin``: Solr batches commits
and its transaction log keeps what it accepted. Any failure to reach Solr is ``SearchUnavailable``:
the index task fails and the outbox runs it again later, while uploads and edits go on.
"""

from __future__ import annotations

import html
import io
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import httpx

from quire.core.config import SearchSettings
from quire.search.backend import (
    Hit,
    PageHit,
    Results,
    SearchUnavailable,
    Sort,
    check_window,
)
from quire.search.model import IndexedNode
from quire.search.query import Node
from quire.search.solr_query import SolrCompiler
from quire.search.textonly import text_only

# Bump when solr/schema.xml or solr/solrconfig.xml changes: a new configset, then a rebuild.
SCHEMA_VERSION = 1
CONFIGSET_FILES = ("schema.xml", "solrconfig.xml")
SORT_FIELDS = {"title": "title_sort", "created": "created", "updated": "updated"}
SNIPPET_CHARS = 240
FINGERPRINT_ROWS = 1000
# Solr sends its own mark tags; we ask for these and escape everything else (hl.encoder=html).
MARK = ("<mark>", "</mark>")


class SolrBackend:
    def __init__(self, bases: list[str], collection: str, settings: SearchSettings) -> None:
        self.bases = bases
        self.collection = collection
        self.commit_within = settings.commit_within_ms
        self.settings = settings
        auth = None
        if settings.username and settings.password:
            auth = httpx.BasicAuth(settings.username, settings.password.get_secret_value())
        self.http = httpx.Client(timeout=settings.timeout_seconds, auth=auth)
        self.nodes = SolrCompiler("node")
        self.pages = SolrCompiler("page")

    @classmethod
    def from_url(cls, url: str, settings: SearchSettings) -> SolrBackend:
        parts = urlsplit(url)
        scheme = "https" if parts.scheme in ("solr+https", "https") else "http"
        collection = parts.path.strip("/").removeprefix("solr/")
        if not parts.netloc or not collection or "/" in collection:
            raise ValueError(f"SEARCH__URL: {url!r} is not solr://host:8983/<collection>")
        hosts = parts.netloc.rsplit("@", 1)[-1].split(",")
        return cls([f"{scheme}://{host}/solr" for host in hosts], collection, settings)

    @property
    def configset(self) -> str:
        return f"quire-v{SCHEMA_VERSION}"

    # --- HTTP -------------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer from the first node that answers; SearchUnavailable if none does."""
        errors = []
        for base in self.bases:
            try:
                response = self.http.request(method, f"{base}/{path}", **kwargs)
            except httpx.HTTPError as exc:
                errors.append(f"{base}: {exc}")
                continue
            if response.status_code >= 500 or response.status_code in (401, 403):
                errors.append(f"{base}: HTTP {response.status_code} {_solr_error(response)}")
                continue
            if response.status_code >= 400:
                raise SearchUnavailable(f"Solr refused {path}: {_solr_error(response)}")
            body: dict[str, Any] = response.json()
            return body
        raise SearchUnavailable("Solr cannot be reached: " + "; ".join(errors))

    def _admin(self, path: str, **params: Any) -> dict[str, Any]:
        return self._request("GET", path, params={"wt": "json", **params})

    # --- lifecycle --------------------------------------------------------------------------

    def ensure_schema(self) -> bool:
        status = self._admin("admin/collections", action="CLUSTERSTATUS")
        collections = status.get("cluster", {}).get("collections", {})
        current = collections.get(self.collection, {}).get("configName")
        if current == self.configset:
            return False
        self._upload_configset()
        if self.collection in collections:
            self._admin(
                "admin/collections",
                action="MODIFYCOLLECTION",
                collection=self.collection,
                **{"collection.configName": self.configset},
            )
            self._admin("admin/collections", action="RELOAD", name=self.collection)
        else:
            self._admin(
                "admin/collections",
                action="CREATE",
                name=self.collection,
                numShards=self.settings.shards,
                replicationFactor=self.settings.replicas,
                waitForFinalState="true",
                **{"collection.configName": self.configset},
            )
        return True

    def _upload_configset(self) -> None:
        buffer = io.BytesIO()
        folder = resources.files("quire.search") / "solr"
        with zipfile.ZipFile(buffer, "w") as archive:
            for name in CONFIGSET_FILES:
                archive.writestr(name, (folder / name).read_bytes())
        self._request(
            "POST",
            "admin/configs",
            params={"action": "UPLOAD", "name": self.configset, "overwrite": "true"},
            content=buffer.getvalue(),
            headers={"Content-Type": "application/octet-stream"},
        )

    def close(self) -> None:
        self.http.close()

    # --- writing ----------------------------------------------------------------------------

    def write(self, nodes: Sequence[IndexedNode], removed: Sequence[uuid.UUID]) -> None:
        stale = [str(node_id) for node_id in [*removed, *(node.id for node in nodes)]]
        deletes = []
        if stale:
            deletes.append("{!terms f=node_id}" + ",".join(stale))
        if removed:
            deletes.append("{!terms f=ancestors}" + ",".join(str(r) for r in removed))
        for query in deletes:
            self._update({"delete": {"query": query}})
        entries = [entry for node in nodes for entry in _entries(node)]
        if entries:
            self._update(entries)

    def clear(self) -> None:
        self._update({"delete": {"query": "*:*"}}, commit=True)

    def _update(self, body: object, *, commit: bool = False) -> None:
        params = {"commit": "true"} if commit else {"commitWithin": str(self.commit_within)}
        self._request("POST", f"{self.collection}/update", params=params, json=body)

    @contextmanager
    def bulk(self) -> Iterator[_BulkWriter]:
        yield _BulkWriter(self)
        self.refresh()

    def refresh(self) -> None:
        self._request("POST", f"{self.collection}/update", params={"commit": "true"}, json={})

    # --- reading ----------------------------------------------------------------------------

    def _select(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._request("POST", f"{self.collection}/select", data=params)

    def search(
        self,
        query: Node,
        principals: Sequence[str],
        *,
        sort: Sort,
        offset: int,
        limit: int,
        pages_per_hit: int,
    ) -> Results:
        check_window(offset, limit)
        if not principals:
            return Results(total=0, hits=[])
        allowed = "{!terms f=allowed}" + ",".join(principals)
        condition = self.nodes.compile(query)
        params: dict[str, Any] = {
            "q": condition or "*:*",
            "fq": ["kind:node", allowed],
            "fl": "node_id,score",
            "start": offset,
            "rows": limit,
        }
        if sort.field != "score":
            direction = "desc" if sort.descending else "asc"
            params["sort"] = f"{SORT_FIELDS[sort.field]} {direction},id asc"
        found = self._select(params)["response"]
        by_score = sort.field == "score"
        hits = [
            Hit(uuid.UUID(doc["node_id"]), float(doc["score"]) if by_score else None)
            for doc in found["docs"]
        ]
        text_query = text_only(query)
        page_condition = None if text_query is None else self.pages.compile(text_query)
        if page_condition is not None and hits and pages_per_hit > 0:
            hits = self._with_pages(hits, page_condition, allowed, pages_per_hit)
        return Results(total=int(found["numFound"]), hits=hits)

    def _with_pages(self, hits: list[Hit], condition: str, allowed: str, limit: int) -> list[Hit]:
        """Each hit's best pages: one grouped query for all hits, highlighted by Solr."""
        params = {
            "q": condition,
            "fq": [
                "kind:page",
                allowed,
                "{!terms f=node_id}" + ",".join(str(h.node_id) for h in hits),
            ],
            "fl": "id,node_id,page",
            "rows": len(hits),
            "group": "true",
            "group.field": "node_id",
            "group.limit": limit,
            "hl": "true",
            "hl.method": "unified",
            "hl.fl": "text",
            "hl.requireFieldMatch": "false",
            "hl.encoder": "html",
            "hl.tag.pre": MARK[0],
            "hl.tag.post": MARK[1],
            "hl.fragsize": SNIPPET_CHARS,
            "hl.defaultSummary": "true",
        }
        answer = self._select(params)
        snippets = answer.get("highlighting", {})
        groups = {
            group["groupValue"]: group["doclist"]
            for group in answer["grouped"]["node_id"]["groups"]
        }
        result = []
        for hit in hits:
            doclist = groups.get(str(hit.node_id))
            if doclist is None:
                result.append(hit)
                continue
            pages = [
                PageHit(int(doc["page"]), _snippet(snippets.get(doc["id"], {})))
                for doc in doclist["docs"]
            ]
            result.append(Hit(hit.node_id, hit.score, int(doclist["numFound"]), pages))
        return result

    def fingerprints(self) -> Iterator[tuple[uuid.UUID, str]]:
        cursor = "*"
        while True:
            answer = self._select(
                {
                    "q": "kind:node",
                    "fl": "node_id,fingerprint",
                    "sort": "id asc",
                    "rows": FINGERPRINT_ROWS,
                    "cursorMark": cursor,
                }
            )
            for doc in answer["response"]["docs"]:
                yield uuid.UUID(doc["node_id"]), doc.get("fingerprint", "")
            if answer["nextCursorMark"] == cursor:
                return
            cursor = answer["nextCursorMark"]

    def count(self) -> int:
        """Entries of nodes searchable now."""
        return int(self._select({"q": "kind:node", "rows": 0})["response"]["numFound"])


class _BulkWriter:
    """Solr's transaction log keeps each accepted batch: every batch is durable at once."""

    def __init__(self, backend: SolrBackend) -> None:
        self.backend = backend

    def add(self, nodes: Sequence[IndexedNode]) -> bool:
        self.backend.write(nodes, [])
        return True


def _entries(node: IndexedNode) -> list[dict[str, Any]]:
    text = "\n".join(page.text for page in node.pages)
    allowed = sorted(node.principals)
    ancestors = [str(a) for a in node.ancestors]
    entry: dict[str, Any] = {
        "id": str(node.id),
        "node_id": str(node.id),
        "kind": "node",
        "ctype": node.ctype,
        "fingerprint": node.fingerprint,
        "title": node.title,
        "title_sort": node.title.casefold(),
        "tags": [tag.casefold() for tag in node.tags],
        "tags_text": list(node.tags),
        "lang": node.lang.split("+"),
        "allowed": allowed,
        "ancestors": ancestors,
        "created": _date(node.created_at),
        "updated": _date(node.updated_at),
        "body": text,
    }
    if node.document_type:
        entry["doctype"] = node.document_type.casefold()
    for language in node.stemmed_languages:
        entry[f"body_{language}"] = text
    for key, value in node.custom_fields.items():
        entry.update(_custom_field(key, value))
    entries = [entry]
    for page in node.pages:
        if not page.text.strip():
            continue
        page_entry: dict[str, Any] = {
            "id": f"{node.id}/{page.number}",
            "node_id": str(node.id),
            "kind": "page",
            "allowed": allowed,
            "ancestors": ancestors,
            "page": page.number,
            "text": page.text,
        }
        for language in node.stemmed_languages:
            page_entry[f"text_{language}"] = page.text
        entries.append(page_entry)
    return entries


def _custom_field(key: str, value: object) -> dict[str, Any]:
    if isinstance(value, bool):
        return {f"cf_b_{key}": value}
    if isinstance(value, int | float):
        return {f"cf_d_{key}": float(value)}
    if isinstance(value, datetime):
        return {f"cf_dt_{key}": _date(value)}
    return {f"cf_s_{key}": str(value).casefold()}


def _date(moment: datetime) -> str:
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _snippet(highlight: dict[str, list[str]]) -> str:
    fragments = highlight.get("text") or []
    return " … ".join(fragments) if fragments else ""


def _solr_error(response: httpx.Response) -> str:
    try:
        message = response.json().get("error", {}).get("msg", "")
    except ValueError:
        message = response.text[:200]
    return html.unescape(str(message)) or response.reason_phrase
