"""The embedded search engine: a Tantivy index in a directory, no service to run.

One writer at a time (Tantivy locks the directory): the indexer takes the writer for each
batch and lets it go, so ``quire reindex`` and another process's indexer take turns; a writer
that stays busy past ``WRITER_WAIT_SECONDS`` makes the task fail and the outbox retry it.
Any number of readers: every search first picks up the last commit.
"""

from __future__ import annotations

import html
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import tantivy
from tantivy import Document, Index, IndexWriter, Occur, Order, Query, Schema, SchemaBuilder

from quire.search import analysis
from quire.search.analysis import split_cjk
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
from quire.search.tantivy_query import TantivyCompiler
from quire.search.textonly import text_only

# Bump when the schema or an analyzer changes: the index is rebuilt from the database.
SCHEMA_VERSION = 2
SCHEMA_FILE = "quire-schema.json"
WRITER_HEAP_BYTES = 64_000_000
# A rebuild keeps one writer with two indexing threads, so that reading the database and
# indexing overlap instead of taking turns, and commits every so many entries (a node's and
# its pages'). Issue 16: >= 3,000 pages/s at a peak RSS < 500 MB (100,000 pages, 2 cores).
# - Each commit ends the threads' segments, and Tantivy merges 8 segments of a size into one,
#   reading them through mmap: their pages count in the process's RSS until the merge ends.
#   Every 2,000 nodes (22,000 entries) left 10 segments, of which 8 (80 % of the index, 210 MB
#   mapped) merged at the end, while the threads' heaps and the queue of documents were full:
#   peak 550-610 MB. Every 5,000 entries, a merge maps 20 % of the index (45 MB): peak
#   305-335 MB, at the same CPU time and pages/s (3,100-4,400 on a shared machine); the index
#   ends in 7 segments, not 3. It also bounds Tantivy's queue of documents (10,000 at most,
#   some 6 kB each), which the reader otherwise keeps full. Entries, not nodes: long
#   documents must not make segments, and so merges, bigger.
# - The heap is the threads' budget together; a thread's 2,500-2,750 entries need 20-32 MB
#   (measured), so 2 x 32 MB rarely ends a segment before the commit and caps what bigger
#   entries may take. (glibc's per-thread arenas keep some 30 MB more than MALLOC_ARENA_MAX=2
#   would: not worth an allocator setting for the whole process.)
BULK_HEAP_BYTES = 64_000_000
BULK_THREADS = 2
BULK_COMMIT_ENTRIES = 5_000
WRITER_WAIT_SECONDS = 30.0
SNIPPET_CHARS = 240
# Tantivy keeps dates to the second in fast fields: sorting uses microseconds kept as integers.
SORT_FIELDS = {"title": "title_sort", "created": "created_us", "updated": "updated_us"}


def build_schema() -> Schema:
    builder = SchemaBuilder()
    for name in ("id", "node_id"):
        builder.add_text_field(name, stored=True, tokenizer_name="raw")
    for name in ("kind", "ctype", "doctype", "lang", "tags", "allowed", "ancestors"):
        builder.add_text_field(name, tokenizer_name="raw")
    builder.add_text_field("fingerprint", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", tokenizer_name=analysis.PLAIN)
    builder.add_text_field("title_sort", fast=True, tokenizer_name="raw")
    builder.add_text_field("tags_text", tokenizer_name=analysis.PLAIN)
    # Node entries: the whole document's text; page entries: one page's (kept for snippets).
    builder.add_text_field("body", tokenizer_name=analysis.PLAIN)
    builder.add_text_field("text", stored=True, tokenizer_name=analysis.PLAIN)
    for language in analysis.STEMMERS:
        builder.add_text_field(f"body_{language}", tokenizer_name=analysis.stemmed(language))
        builder.add_text_field(f"text_{language}", tokenizer_name=analysis.stemmed(language))
    builder.add_integer_field("page", stored=True, indexed=True)
    builder.add_date_field("created", indexed=True, fast=True)
    builder.add_date_field("updated", indexed=True, fast=True)
    builder.add_integer_field("created_us", fast=True)
    builder.add_integer_field("updated_us", fast=True)
    builder.add_json_field("cf", tokenizer_name="raw", fast=True)
    return builder.build()


class TantivyBackend:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema = build_schema()
        self._index: Index | None = None
        self._write_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._loaded: tuple[int, int, int] | None = None
        self._node_compiler: TantivyCompiler | None = None
        self._page_compiler: TantivyCompiler | None = None

    @classmethod
    def from_url(cls, url: str) -> TantivyBackend:
        parts = urlsplit(url)
        path = unquote(parts.netloc + parts.path)
        if not path.startswith("/"):
            raise ValueError(f"SEARCH__URL: {url!r} needs an absolute path (tantivy:///var/...)")
        return cls(Path(path))

    # --- lifecycle --------------------------------------------------------------------------

    def ensure_schema(self) -> bool:
        """Open the index, creating it (or rebuilding it empty after a schema change)."""
        marker = self.path / SCHEMA_FILE
        current = json.loads(marker.read_text())["version"] if marker.exists() else None
        created = current != SCHEMA_VERSION
        if created and self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._open()
        if created:
            marker.write_text(json.dumps({"version": SCHEMA_VERSION}))
        return created

    @property
    def index(self) -> Index:
        if self._index is None:
            # Normally made by ``prepare`` at start; made here too so search just works.
            self.ensure_schema()
        assert self._index is not None
        return self._index

    def _open(self) -> None:
        self._loaded = self._meta_stamp()  # before opening: a commit meanwhile is reloaded
        index = Index(self.schema, path=str(self.path), reuse=True)
        for name, analyzer in analysis.analyzers().items():
            index.register_tokenizer(name, analyzer)
        self._node_compiler = TantivyCompiler(index, self.schema, "node")
        self._page_compiler = TantivyCompiler(index, self.schema, "page")
        self._index = index

    def close(self) -> None:
        self._index = None

    # --- writing ----------------------------------------------------------------------------

    def write(self, nodes: Sequence[IndexedNode], removed: Sequence[uuid.UUID]) -> None:
        with self._writer() as writer:
            for node_id in [*removed, *(node.id for node in nodes)]:
                writer.delete_documents_by_term("node_id", str(node_id))
            for node_id in removed:  # a deleted folder: everything that was below it
                writer.delete_documents_by_term("ancestors", str(node_id))
            for node in nodes:
                for entry in _entries(node):
                    writer.add_document(entry)
            writer.commit()
        self._reload()

    def clear(self) -> None:
        with self._writer() as writer:
            writer.delete_all_documents()
            writer.commit()
        self._reload()

    def refresh(self) -> None:
        self._reload()  # every write is committed already

    @contextmanager
    def bulk(self) -> Iterator[_BulkWriter]:
        with self._writer(BULK_HEAP_BYTES, BULK_THREADS) as writer:
            sink = _BulkWriter(writer)
            yield sink
            writer.commit()
        self._reload()

    @contextmanager
    def _writer(self, heap: int = WRITER_HEAP_BYTES, threads: int = 1) -> Iterator[IndexWriter]:
        """The index's one writer, waited for while another process holds it."""
        with self._write_lock:
            deadline = time.monotonic() + WRITER_WAIT_SECONDS
            delay = 0.05
            while True:
                try:
                    writer = self.index.writer(heap_size=heap, num_threads=threads)
                    break
                except ValueError as exc:
                    if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                        raise SearchUnavailable(f"cannot write the search index: {exc}") from exc
                    time.sleep(delay)
                    delay = min(delay * 2, 1.0)
            try:
                yield writer
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()

    # --- reading ----------------------------------------------------------------------------

    def _searcher(self) -> tantivy.Searcher:
        """A searcher on the last commit, whichever process made it. A commit replaces the
        index's meta.json (a new file renamed over the old): while it stays the same, the
        searcher loaded before still serves. A reload costs 0.2-0.6 ms and drops the readers'
        caches; asking the file costs a few microseconds (issue 16)."""
        index = self.index
        if self._meta_stamp() != self._loaded:
            self._reload()
        return index.searcher()

    def _reload(self) -> None:
        with self._reload_lock:
            # Stamped before: a commit in between makes the next search reload once more.
            stamp = self._meta_stamp()
            self.index.reload()
            self._loaded = stamp

    def _meta_stamp(self) -> tuple[int, int, int] | None:
        try:
            meta = (self.path / "meta.json").stat()
        except FileNotFoundError:
            return None
        return meta.st_ino, meta.st_mtime_ns, meta.st_size

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
        searcher = self._searcher()
        assert self._node_compiler is not None
        assert self._page_compiler is not None
        condition = self._node_compiler.compile(query)
        clauses = [
            (Occur.Must, Query.term_query(self.schema, "kind", "node")),
            (Occur.Must, Query.term_set_query(self.schema, "allowed", list(principals))),
        ]
        if condition is not None:
            clauses.append((Occur.Must, condition))
        found = self._run(searcher, Query.boolean_query(clauses), sort, offset, limit)
        by_score = sort.field == "score"
        hits = [
            Hit(
                node_id=uuid.UUID(searcher.doc(address)["node_id"][0]),
                score=float(key) if by_score else None,
            )
            for key, address in found.hits
        ]
        text_query = text_only(query)
        page_condition = None if text_query is None else self._page_compiler.compile(text_query)
        if page_condition is not None and pages_per_hit > 0 and hits:
            snippets = tantivy.SnippetGenerator.create(
                searcher, page_condition, self.schema, "text"
            )
            snippets.set_max_num_chars(SNIPPET_CHARS)
            hits = [
                self._with_pages(searcher, hit, page_condition, snippets, pages_per_hit)
                for hit in hits
            ]
        return Results(total=_count(found), hits=hits)

    def _run(
        self, searcher: tantivy.Searcher, query: Query, sort: Sort, offset: int, limit: int
    ) -> tantivy.SearchResult:
        if sort.field == "score":
            return searcher.search(query, limit=limit, count=True, offset=offset)
        return searcher.search(
            query,
            limit=limit,
            count=True,
            offset=offset,
            order_by_field=SORT_FIELDS[sort.field],
            order=Order.Desc if sort.descending else Order.Asc,
        )

    def _with_pages(
        self,
        searcher: tantivy.Searcher,
        hit: Hit,
        condition: Query,
        snippets: tantivy.SnippetGenerator,
        limit: int,
    ) -> Hit:
        query = Query.boolean_query(
            [
                (Occur.Must, Query.term_query(self.schema, "node_id", str(hit.node_id))),
                (Occur.Must, Query.term_query(self.schema, "kind", "page")),
                (Occur.Must, condition),
            ]
        )
        found = searcher.search(query, limit=limit, count=True)
        if not found.hits:
            return hit
        pages = []
        for _, address in found.hits:
            document = searcher.doc(address)
            snippet = _html(snippets.snippet_from_doc(document))
            pages.append(PageHit(number=int(document["page"][0]), snippet=snippet))
        return Hit(hit.node_id, hit.score, matching_pages=_count(found), pages=pages)

    def fingerprints(self) -> Iterator[tuple[uuid.UUID, str]]:
        searcher = self._searcher()
        query = Query.term_query(self.schema, "kind", "node")
        total = _count(searcher.search(query, limit=1, count=True))
        if total == 0:
            return
        for _, address in searcher.search(query, limit=total).hits:
            document = searcher.doc(address)
            yield uuid.UUID(document["node_id"][0]), document["fingerprint"][0]


class _BulkWriter:
    def __init__(self, writer: IndexWriter) -> None:
        self.writer = writer
        self.uncommitted = 0  # entries

    def add(self, nodes: Sequence[IndexedNode]) -> bool:
        """Write the nodes; commit (and return True) once enough entries wait for it."""
        for node in nodes:
            self.writer.delete_documents_by_term("node_id", str(node.id))
            for entry in _entries(node):
                self.writer.add_document(entry)
                self.uncommitted += 1
        if self.uncommitted < BULK_COMMIT_ENTRIES:
            return False
        self.writer.commit()
        self.uncommitted = 0
        return True


def _count(result: tantivy.SearchResult) -> int:
    # Typed in tantivy's stub only as hits; count is there whenever count=True was asked.
    return int(getattr(result, "count", 0) or 0)


def _entries(node: IndexedNode) -> Iterator[Document]:
    """The node's entry, then one per page with text."""
    text = "\n".join(page.text for page in node.pages)
    fields: dict[str, Any] = {
        "id": str(node.id),
        "node_id": str(node.id),
        "kind": "node",
        "ctype": node.ctype,
        "fingerprint": node.fingerprint,
        "title": split_cjk(node.title),
        "title_sort": node.title.casefold(),
        "tags": [tag.casefold() for tag in node.tags],
        "tags_text": [split_cjk(tag) for tag in node.tags],
        "lang": node.lang.split("+"),
        "allowed": sorted(node.principals),
        "ancestors": [str(a) for a in node.ancestors],
        "created": node.created_at,
        "updated": node.updated_at,
        "created_us": _microseconds(node.created_at),
        "updated_us": _microseconds(node.updated_at),
        "body": split_cjk(text),
        "cf": {key: _json_value(value) for key, value in node.custom_fields.items()},
    }
    if node.document_type:
        fields["doctype"] = node.document_type.casefold()
    for language in node.stemmed_languages:
        fields[f"body_{language}"] = text
    yield Document(**fields)
    for page in node.pages:
        if not page.text.strip():
            continue
        entry: dict[str, Any] = {
            "id": f"{node.id}/{page.number}",
            "node_id": str(node.id),
            "kind": "page",
            "allowed": sorted(node.principals),
            "ancestors": [str(a) for a in node.ancestors],
            "page": page.number,
            "text": split_cjk(page.text),
        }
        for language in node.stemmed_languages:
            entry[f"text_{language}"] = page.text
        yield Document(**entry)


def _microseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _json_value(value: object) -> object:
    """Dates as RFC 3339 text, which Tantivy's JSON fields index as dates; text lower case."""
    if hasattr(value, "isoformat"):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")  # type: ignore[attr-defined]
    if isinstance(value, str):
        return value.casefold()
    return value


def _html(snippet: tantivy.Snippet) -> str:
    """The fragment, escaped, with each match in <mark> (Tantivy gives byte ranges)."""
    fragment = snippet.fragment().encode()
    parts: list[str] = []
    position = 0
    for highlight in snippet.highlighted():
        parts.append(html.escape(fragment[position : highlight.start].decode(errors="ignore")))
        word = fragment[highlight.start : highlight.end].decode(errors="ignore")
        parts.append(f"<mark>{html.escape(word)}</mark>")
        position = highlight.end
    parts.append(html.escape(fragment[position:].decode(errors="ignore")))
    return "".join(parts)
