"""A query tree (``quire.search.query``) as a Solr standard-parser query string.

Every piece of user text reaches Solr inside double quotes with ``\\`` and ``"`` escaped, where
the standard parser knows no operators and no local params; prefixes are first cut into terms by
our own analyzer (the one Solr's ``text_plain`` mirrors) and only letters and digits remain.
Field names, dates and numbers come from us. The permission filter is a separate ``fq``.
"""

from __future__ import annotations

import re
from datetime import datetime

from quire.search import analysis
from quire.search.compiler import Compiler, custom_key, range_syntax
from quire.search.query import CUSTOM_FIELD_PREFIX, Exact, InFolder, Range, Text

TITLE_BOOST = 3
TAGS_BOOST = 2
KEYWORD_FIELDS = {"tag": "tags", "type": "doctype", "lang": "lang", "ctype": "ctype"}
_TERM = re.compile(r"^\w+$")


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SolrCompiler(Compiler[str]):
    def text(self, node: Text) -> str | None:
        tokens = analysis.terms(node.value)
        if not tokens:
            return None
        if node.field == "title":
            return self._title(node, tokens) if self.kind == "node" else None
        if node.mode == "prefix":
            clauses = [_prefix(self.body, tokens)]
            if self.kind == "node":
                clauses.append(self._title(node, tokens))
            return self.any_of(clauses)
        value = quoted(node.value)
        clauses = [f"{self.body}:{value}"]
        if self.kind == "node":
            clauses += [self._title(node, tokens), f"tags_text:{value}^{TAGS_BOOST}"]
        clauses += [f"{self.body}_{language}:{value}" for language in analysis.STEMMERS]
        return self.any_of(clauses)

    def _title(self, node: Text, tokens: list[str]) -> str:
        if node.mode == "prefix":
            return f"({_prefix('title', tokens)})^{TITLE_BOOST}"
        return f"title:{quoted(node.value)}^{TITLE_BOOST}"

    def exact(self, node: Exact) -> str:
        if node.field.startswith(CUSTOM_FIELD_PREFIX):
            key = custom_key(node.field)
            if node.value in ("true", "false"):
                return f"cf_b_{key}:{node.value}"
            return f"cf_s_{key}:{quoted(node.value)}"
        value = node.value if node.field == "lang" else node.value.casefold()
        return f"{KEYWORD_FIELDS[node.field]}:{quoted(value)}"

    def range(self, node: Range) -> str:
        field = node.field
        if field.startswith(CUSTOM_FIELD_PREFIX):
            key = custom_key(field)
            dated = isinstance(node.low, datetime) or isinstance(node.high, datetime)
            field = f"cf_dt_{key}" if dated else f"cf_d_{key}"
        return f"{field}:{range_syntax(node)}"

    def in_folder(self, node: InFolder) -> str:
        return f"ancestors:{quoted(node.folder_id)}"

    def all_of(self, must: list[str], must_not: list[str]) -> str:
        return "(" + " ".join([f"+{q}" for q in must] + [f"-{q}" for q in must_not]) + ")"

    def any_of(self, clauses: list[str]) -> str:
        return clauses[0] if len(clauses) == 1 else "(" + " OR ".join(clauses) + ")"

    def everything(self) -> str:
        return "*:*"


def _prefix(field: str, tokens: list[str]) -> str:
    """The last term as a prefix, after the others as a phrase (tokens are letters and digits)."""
    terms = [token for token in tokens if _TERM.match(token)]
    if not terms:
        return f"{field}:{quoted(' '.join(tokens))}"
    *before, last = terms
    if not before:
        return f"{field}:{last}*"
    return f"({field}:{quoted(' '.join(before))} AND {field}:{last}*)"
