"""The interface every search engine implements, and choosing one by ``SEARCH__URL``.

- ``tantivy:///path/to/index`` (the default, under the data dir): embedded, no service;
- ``solr://host:8983/<collection>`` or ``solr+https://...``: Apache Solr 9 in SolrCloud mode.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

from quire.core.config import Settings
from quire.search.model import IndexedNode
from quire.search.query import Node

SortField = Literal["score", "title", "created", "updated"]


# How deep a search may page: offset + limit at most this many hits (the idea of Solr's and
# Elasticsearch's max_result_window). An engine collects offset + limit hits to rank them, so an
# unbounded offset is an unbounded allocation: page 10^12 made Tantivy ask for ~160 TB and abort
# the process. A person pages through the first hits, then narrows the query.
MAX_RESULT_WINDOW = 10_000


class SearchUnavailable(RuntimeError):
    """The engine cannot be reached or used right now; the message says why."""


class ResultWindowExceeded(ValueError):
    """A page beyond the first ``MAX_RESULT_WINDOW`` hits (a request to refuse, a 4xx)."""


def check_window(offset: int, limit: int) -> None:
    """What every engine asks before searching: raise ResultWindowExceeded for a page beyond
    the window (or a negative offset or limit, which no caller means)."""
    if offset < 0 or limit < 0:
        raise ResultWindowExceeded(f"offset {offset} and limit {limit} must not be negative")
    if offset + limit > MAX_RESULT_WINDOW:
        raise ResultWindowExceeded(
            f"only the first {MAX_RESULT_WINDOW:,} hits can be paged through "
            f"(this page ends at hit {offset + limit:,}): narrow the query"
        )


@dataclass(frozen=True)
class Sort:
    field: SortField = "score"
    descending: bool = True


@dataclass(frozen=True)
class PageHit:
    number: int
    # The page's text around the match, HTML-escaped, matches wrapped in <mark>.
    snippet: str


@dataclass(frozen=True)
class Hit:
    node_id: uuid.UUID
    score: float | None
    matching_pages: int = 0
    pages: list[PageHit] = field(default_factory=list)


@dataclass(frozen=True)
class Results:
    total: int
    hits: list[Hit]


class BulkWriter(Protocol):
    def add(self, nodes: Sequence[IndexedNode]) -> bool:
        """Write these nodes too; True when everything added so far is durable."""
        ...


class SearchBackend(Protocol):
    def ensure_schema(self) -> bool:
        """Create or upgrade the index's schema; True if it was created or changed (reindex)."""
        ...

    def write(self, nodes: Sequence[IndexedNode], removed: Sequence[uuid.UUID]) -> None:
        """Replace the nodes' entries and drop the removed ones; durable when it returns."""
        ...

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
        """Nodes matching ``query`` that one of ``principals`` may see, and their best pages.

        ``offset + limit`` beyond ``MAX_RESULT_WINDOW`` raises ResultWindowExceeded."""
        ...

    def bulk(self) -> AbstractContextManager[BulkWriter]:
        """A writer for a rebuild: many batches, committed now and then and when it ends."""
        ...

    def fingerprints(self) -> Iterator[tuple[uuid.UUID, str]]:
        """Every indexed node with the fingerprint it was indexed with."""
        ...

    def clear(self) -> None:
        """Remove every entry (before a full rebuild)."""
        ...

    def refresh(self) -> None:
        """Make every accepted write searchable now (the end of a rebuild, tests); the
        indexer itself never waits for this."""
        ...

    def close(self) -> None: ...


def default_url(settings: Settings) -> str:
    return f"tantivy://{Path(settings.main.data_dir).resolve() / 'index'}"


def open_backend(settings: Settings) -> SearchBackend:
    url = settings.search.url or default_url(settings)
    scheme = urlsplit(url).scheme
    if scheme == "tantivy":
        from quire.search.tantivy_backend import TantivyBackend

        return TantivyBackend.from_url(url)
    if scheme in ("solr", "solr+https", "http", "https"):
        from quire.search.solr_backend import SolrBackend

        return SolrBackend.from_url(url, settings.search)
    raise ValueError(f"SEARCH__URL: unknown search engine {scheme!r} (tantivy:// or solr://)")
