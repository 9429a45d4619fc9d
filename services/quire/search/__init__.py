"""Full-text search: the query language, the Tantivy and Solr engines, and the indexer that keeps
them in step with the database. Depends on core; core queues its work by task name
(``quire.core.indexing.reindex_later``) and never imports it. See docs/architecture.md,
"Search"."""

from quire.core.tasks.registry import register_task_module


def register() -> None:
    """Make the ``index`` and ``reindex`` tasks known to core's task registry (at start-up).
    By module name: the indexer, and the search engine with it, is imported only once a task
    is looked up."""
    register_task_module("quire.search.indexer")
