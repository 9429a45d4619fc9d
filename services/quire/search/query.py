"""The search query language, parsed by us into a small tree that the backends compile.

    invoice 2024                  words, all of them (implicit AND)
    "total amount"                a phrase
    invoice OR receipt, NOT x, -x either word; without a word
    inv*                          a prefix
    (a OR b) c                    grouping
    title:report  tag:paid  type:invoice  lang:deu
    cf.amount:>100  cf.amount:[100 TO 200]  cf.vendor:"ACME Corp"
    cf.balance:-5  cf.balance:<-100  cf.balance:[-10 TO 0]
    created:[2024-01-01 TO 2024-12-31]  updated:>=2024-06-01  created:"2024-05-01"

A ``-`` before a term means NOT (``-draft``, ``-tag:paid``, ``-cf.x:5``); right after a field,
a comparison or a range's bracket or ``TO``, where no NOT can stand, a ``-`` followed by a digit
or a point starts a negative number (``cf.x:-5`` is "x is -5", ``-cf.x:5`` "x is not 5").

User input never reaches an engine as query syntax: the backends build their queries from this
tree (Tantivy's query objects; escaped terms for Solr), and the permission filter is added by
the search service beside it, never inside what the user wrote. A malformed query raises
``QuerySyntaxError`` with the column where it went wrong: the 1-based position of the character
in the whole query, every character counting as one, a line break included (lark counts columns
from the last line break; we do not, so a column is the same on one line or several).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from lark import (
    Lark,
    Token,
    Transformer,
    Tree,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
)
from lark.exceptions import VisitError

TextMode = Literal["word", "phrase", "prefix"]
# As parsed: the text written, None for an open end (``*``). ``binding`` types them.
Bound = str | float | datetime | None
KEYWORD_FIELDS = ("tag", "type", "lang")
DATE_FIELDS = ("created", "updated")
CUSTOM_FIELD_PREFIX = "cf."
MAX_QUERY_LENGTH = 2000
MAX_CLAUSES = 64
# Groups and negations inside each other: ``((a))`` is 2, ``NOT -a`` is 2. Turning the parse
# into our tree recurses once or twice per level, so without a bound a query of a few hundred
# ``(`` exhausts Python's stack (a 500). Nobody writes more than a handful.
MAX_NESTING = 32

GRAMMAR = r"""
?start: expr?
?expr: and_expr (_OR and_expr)*               -> any_of
?and_expr: unary (_AND? unary)*               -> all_of
?unary: _NOT unary                            -> negated
      | MINUS unary                           -> negated
      | atom
?atom: "(" expr ")"
     | FIELD value                            -> fielded
     | PHRASE                                 -> phrase
     | PREFIX                                 -> prefix
     | WORD                                   -> word
?value: PHRASE | PREFIX | WORD | NEGATIVE | range | compare
range: RANGE_OPEN bound _TO bound RANGE_CLOSE
?bound: WORD | NEGATIVE | STAR
compare: CMP (WORD | NEGATIVE)

_OR.3: /OR(?=[\s()]|$)/
_AND.3: /AND(?=[\s()]|$)/
_NOT.3: /NOT(?=[\s(]|$)/
_TO.3: /TO(?=\s)/
FIELD.2: /(title|tags?|type|lang|created|updated|cf\.[\w-]+):/i
PHRASE: /"[^"]*"/
PREFIX.1: /[^\s"()\[\]{}<>=*\-][^\s"()\[\]{}<>=*]*\*/
WORD: /[^\s"()\[\]{}<>=*\-][^\s"()\[\]{}<>=*]*/
// Only where a value is expected (lark's contextual lexer tries no other terminal there), so
// a "-" before a term is still MINUS: NOT.
NEGATIVE: /-[0-9.][^\s"()\[\]{}<>=*]*/
MINUS: "-"
CMP: />=|<=|>|</
STAR: "*"
RANGE_OPEN: "[" | "{"
RANGE_CLOSE: "]" | "}"
%ignore /\s+/
"""

_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=False)


class QuerySyntaxError(ValueError):
    """The query cannot be understood; ``column`` says where: the 1-based position of the
    character in the whole query (not in its line), None where no one place is to blame."""

    def __init__(self, message: str, column: int | None = None) -> None:
        where = f" at column {column}" if column else ""
        super().__init__(f"{message}{where}")
        self.column = column


@dataclass(frozen=True)
class Text:
    """Free text: in the title, the tags and the pages (``field="any"``) or the title only."""

    value: str
    mode: TextMode = "word"
    field: Literal["any", "title"] = "any"


@dataclass(frozen=True)
class Exact:
    """A whole value of a keyword field: ``tag``, ``type``, ``lang`` or ``cf.<name>``."""

    field: str
    value: str
    column: int | None = None


@dataclass(frozen=True)
class Range:
    """A range of a date (``created``, ``updated``) or a custom field (``cf.<name>``).

    Bounds are as written (None: open); the search service types them by the field.
    """

    field: str
    low: Bound
    high: Bound
    include_low: bool = True
    include_high: bool = True
    column: int | None = None


@dataclass(frozen=True)
class InFolder:
    """Nodes anywhere below a folder (structured filters only)."""

    folder_id: str


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class Everything:
    """No condition: what an empty query means (every node the caller may see)."""


Node = Text | Exact | Range | InFolder | And | Or | Not | Everything


def parse(query: str) -> Node:
    """The tree of a query string; Everything for an empty one."""
    if len(query) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    if not query.strip():
        return Everything()
    try:
        tree = _PARSER.parse(query)
        if _nesting(tree) > MAX_NESTING:
            raise QuerySyntaxError(
                f"the query nests groups or negations more than {MAX_NESTING} deep"
            )
        node = _ToNodes().transform(tree)
    except UnexpectedCharacters as exc:
        position = exc.pos_in_stream or 0
        character = query[position]
        if character == '"':
            raise QuerySyntaxError("a phrase is not closed", position + 1) from None
        raise QuerySyntaxError(f"unexpected character {character!r}", position + 1) from None
    except UnexpectedEOF:
        raise QuerySyntaxError("the query ends too early", len(query) + 1) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        if token is None or token.type == "$END":
            raise QuerySyntaxError("the query ends too early", len(query) + 1) from None
        raise QuerySyntaxError(f"unexpected {str(token)!r}", _column(token)) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, QuerySyntaxError):
            raise exc.orig_exc from None
        raise
    if _count_clauses(node) > MAX_CLAUSES:
        raise QuerySyntaxError(f"the query has more than {MAX_CLAUSES} terms")
    return node


def all_of(*nodes: Node) -> Node:
    """The conjunction of nodes, leaving out Everything."""
    items = tuple(node for node in nodes if not isinstance(node, Everything))
    if not items:
        return Everything()
    return items[0] if len(items) == 1 else And(items)


def _nesting(tree: Tree[Token]) -> int:
    """How deep groups and negations go in a parse tree; without recursion, since lark's parse
    (unlike its transformer) takes any depth."""
    deepest = 0
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        subtree, depth = stack.pop()
        # Each group is one ``any_of`` (the whole query's included), each negation a ``negated``.
        depth += subtree.data in ("any_of", "negated")
        deepest = max(deepest, depth)
        stack.extend((child, depth) for child in subtree.children if isinstance(child, Tree))
    return deepest - 1  # the whole query's own any_of is no nesting


def _count_clauses(node: Node) -> int:
    if isinstance(node, And | Or):
        return sum(_count_clauses(item) for item in node.items)
    if isinstance(node, Not):
        return _count_clauses(node.item)
    return 1


def _unquote(token: Token) -> str:
    return str(token)[1:-1]


def _column(token: Token) -> int | None:
    """Where a token starts in the whole query, 1-based (lark's ``column`` restarts after each
    line break)."""
    return None if token.start_pos is None else token.start_pos + 1


class _ToNodes(Transformer[Token, Node]):
    def any_of(self, items: list[Node]) -> Node:
        return items[0] if len(items) == 1 else Or(tuple(items))

    def all_of(self, items: list[Node]) -> Node:
        return items[0] if len(items) == 1 else And(tuple(items))

    def negated(self, items: list[Node | Token]) -> Node:
        item = items[-1]
        assert not isinstance(item, Token)
        return Not(item)

    def word(self, items: list[Token]) -> Node:
        return Text(str(items[0]))

    def phrase(self, items: list[Token]) -> Node:
        return Text(_unquote(items[0]), "phrase")

    def prefix(self, items: list[Token]) -> Node:
        return Text(str(items[0])[:-1], "prefix")

    def range(self, items: list[Token]) -> Range:
        opening, low, high, closing = items
        return Range(
            field="",
            low=None if low == "*" else str(low),
            high=None if high == "*" else str(high),
            include_low=opening == "[",
            include_high=closing == "]",
            column=_column(opening),
        )

    def compare(self, items: list[Token]) -> Range:
        operator, value = str(items[0]), str(items[1])
        low = value if operator.startswith(">") else None
        high = value if operator.startswith("<") else None
        return Range(
            field="",
            low=low,
            high=high,
            include_low=operator == ">=" or low is None,
            include_high=operator == "<=" or high is None,
            column=_column(items[0]),
        )

    def fielded(self, items: list[Token | Range]) -> Node:
        field_token, value = items
        assert isinstance(field_token, Token)
        field = str(field_token)[:-1].lower()
        field = "tag" if field == "tags" else field
        column = _column(field_token)
        if isinstance(value, Range):
            if field not in DATE_FIELDS and not field.startswith(CUSTOM_FIELD_PREFIX):
                raise QuerySyntaxError(f"{field}: takes a word, not a range", column)
            return replace(value, field=field, column=column)
        # Quotes only keep a value together: "2024-05-01" is the date 2024-05-01.
        text = _unquote(value) if value.type == "PHRASE" else str(value)
        if field in DATE_FIELDS:
            return Range(field, text, text, column=column)
        if field == "title":
            if value.type == "PREFIX":
                return Text(text[:-1], "prefix", "title")
            return Text(text, "phrase" if value.type == "PHRASE" else "word", "title")
        if value.type == "PREFIX":
            raise QuerySyntaxError(f"{field}: takes a whole value, not a prefix", column)
        return Exact(field, text, column)
