"""A query tree (``quire.search.query``) as Tantivy query objects.

Built term by term from the tree, never by handing user text to Tantivy's query parser, so
nothing a user types can change the shape of the query or the permission filter around it.
The one exception, ranges over custom fields (Tantivy's range query object cannot address a
JSON field's key), renders a parser string from parts that are validated here: a key of
``[a-z0-9_]`` and bounds that are numbers or timestamps we formatted ourselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tantivy import FieldType, Index, Occur, Query, Schema

from quire.search import analysis
from quire.search.compiler import Compiler, EntryKind, custom_key, range_syntax
from quire.search.query import CUSTOM_FIELD_PREFIX, Bound, Exact, InFolder, Range, Text

# Where a word found counts more: in the title, then in the tags.
TITLE_BOOST = 3.0
TAGS_BOOST = 2.0
KEYWORD_FIELDS = {"tag": "tags", "type": "doctype", "lang": "lang", "ctype": "ctype"}
# Tantivy keeps a date as 64-bit nanoseconds (1677-09-21 to 2262-04-11) and refuses a bound
# outside. The dates it indexes, when nodes were created and updated, are inside this window,
# so a bound beyond is moved to its edge: that matches the same nodes.
EARLIEST_DATE = datetime(1678, 1, 1, tzinfo=UTC)
LATEST_DATE = datetime(2262, 1, 1, tzinfo=UTC)


class TantivyCompiler(Compiler[Query]):
    def __init__(self, index: Index, schema: Schema, kind: EntryKind) -> None:
        super().__init__(kind)
        self.index = index
        self.schema = schema

    def text(self, node: Text) -> Query | None:
        tokens = analysis.terms(node.value)
        if not tokens:
            return None
        if node.field == "title":
            return self._title(node, tokens) if self.kind == "node" else None
        if node.mode == "prefix":
            clauses = [Query.phrase_prefix_query(self.schema, self.body, _words(tokens))]
            if self.kind == "node":
                clauses.append(self._title(node, tokens))
            return self.any_of(clauses)
        clauses = [self._sequence(self.body, tokens)]
        if self.kind == "node":
            clauses.append(self._title(node, tokens))
            clauses.append(Query.boost_query(self._sequence("tags_text", tokens), TAGS_BOOST))
        for language in analysis.STEMMERS:
            stems = analysis.stemmer(language).analyze(node.value)
            if stems:
                clauses.append(self._sequence(f"{self.body}_{language}", stems))
        return self.any_of(clauses)

    def _title(self, node: Text, tokens: list[str]) -> Query:
        if node.mode == "prefix":
            query = Query.phrase_prefix_query(self.schema, "title", _words(tokens))
        else:
            query = self._sequence("title", tokens)
        return Query.boost_query(query, TITLE_BOOST)

    def _sequence(self, field: str, tokens: Sequence[str]) -> Query:
        if len(tokens) == 1:
            return Query.term_query(self.schema, field, tokens[0])
        return Query.phrase_query(self.schema, field, _words(tokens))

    def exact(self, node: Exact) -> Query:
        if node.field.startswith(CUSTOM_FIELD_PREFIX):
            value: str | bool = node.value
            if node.value in ("true", "false"):
                value = node.value == "true"
            field = CUSTOM_FIELD_PREFIX + custom_key(node.field)
            return Query.term_query(self.schema, field, value)
        value = node.value if node.field == "lang" else node.value.casefold()
        return Query.term_query(self.schema, KEYWORD_FIELDS[node.field], value)

    def range(self, node: Range) -> Query:
        if node.field.startswith(CUSTOM_FIELD_PREFIX):
            field = CUSTOM_FIELD_PREFIX + custom_key(node.field)
            return self.index.parse_query(f"{field}:{range_syntax(node)}", [])
        return Query.range_query(
            self.schema,
            node.field,
            FieldType.Date,
            _within_window(node.low),
            _within_window(node.high),
            include_lower=node.include_low,
            include_upper=node.include_high,
        )

    def in_folder(self, node: InFolder) -> Query:
        return Query.term_query(self.schema, "ancestors", node.folder_id)

    def all_of(self, must: list[Query], must_not: list[Query]) -> Query:
        clauses = [(Occur.Must, q) for q in must] + [(Occur.MustNot, q) for q in must_not]
        return Query.boolean_query(clauses)

    def any_of(self, clauses: list[Query]) -> Query:
        if len(clauses) == 1:
            return clauses[0]
        return Query.boolean_query([(Occur.Should, q) for q in clauses])

    def everything(self) -> Query:
        return Query.all_query()


def _within_window(bound: Bound) -> datetime | None:
    # Binding made a date field's bounds datetimes (or None: open).
    assert bound is None or isinstance(bound, datetime)
    return None if bound is None else min(max(bound, EARLIEST_DATE), LATEST_DATE)


def _words(tokens: Sequence[str]) -> list[str | tuple[int, str]]:
    return list(tokens)
