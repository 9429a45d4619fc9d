"""The search query language (``quire.search.query``): what each query parses to, and where a
malformed one goes wrong. No engine, no database: the tree is what the backends compile."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quire.search.query import (
    MAX_CLAUSES,
    MAX_NESTING,
    MAX_QUERY_LENGTH,
    And,
    Everything,
    Exact,
    Node,
    Not,
    Or,
    QuerySyntaxError,
    Range,
    Text,
    all_of,
    parse,
)


def word(value: str, field: str = "any") -> Text:
    return Text(value, "word", field)


def nested(depth: int) -> str:
    return "(" * depth + "a" + ")" * depth


# --- words, phrases, prefixes and the operators ---------------------------------------------------


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("invoice", word("invoice")),
        ("invoice 2024", And((word("invoice"), word("2024")))),
        ("a AND b", And((word("a"), word("b")))),
        ("a OR b", Or((word("a"), word("b")))),
        ("NOT a", Not(word("a"))),
        ("-a", Not(word("a"))),
        ("- a", Not(word("a"))),
        ("a -b", And((word("a"), Not(word("b"))))),
        ("a NOT b", And((word("a"), Not(word("b"))))),
        ('"total amount"', Text("total amount", "phrase")),
        ('-"x y"', Not(Text("x y", "phrase"))),
        ('""', Text("", "phrase")),
        ("inv*", Text("inv", "prefix")),
        ("éclair", word("éclair")),
        ("a\tb\nc", And((word("a"), word("b"), word("c")))),
        # A word may hold what is syntax elsewhere, past its first character.
        ("x-y", word("x-y")),
        ("a-", word("a-")),
        ("a:b", word("a:b")),
        ("http://example.com/x", word("http://example.com/x")),
        ('a"b"', And((word("a"), Text("b", "phrase")))),
        ("a(b)", And((word("a"), word("b")))),
    ],
)
def test_words_phrases_prefixes_and_operators(query: str, tree: Node) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        # AND binds tighter than OR, NOT tighter than both.
        ("a OR b c", Or((word("a"), And((word("b"), word("c")))))),
        ("a b OR c", Or((And((word("a"), word("b"))), word("c")))),
        ("NOT a OR b", Or((Not(word("a")), word("b")))),
        ("(a OR b) c", And((Or((word("a"), word("b"))), word("c")))),
        ("-(a b)", Not(And((word("a"), word("b"))))),
        ("NOT -a", Not(Not(word("a")))),
        ("((a))", word("a")),
        ("a OR b OR c", Or((word("a"), word("b"), word("c")))),
    ],
)
def test_precedence_and_grouping(query: str, tree: Node) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        # Only upper-case operators are operators; in lower case they are words.
        ("a and b", And((word("a"), word("and"), word("b")))),
        ("a or b", And((word("a"), word("or"), word("b")))),
        ("not a", And((word("not"), word("a")))),
        # An operator glued to a word is part of the word.
        ("NOTx", word("NOTx")),
        ("ORx", word("ORx")),
        # Where no operand can come, an operator is a word.
        ("OR", word("OR")),
        ("AND a", And((word("AND"), word("a")))),
        ("a AND OR b", And((word("a"), word("OR"), word("b")))),
    ],
)
def test_operators_are_words_where_they_cannot_be_operators(query: str, tree: Node) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize("query", ["", " ", "\t\n", "\u00a0", " " * MAX_QUERY_LENGTH])
def test_an_empty_query_means_everything(query: str) -> None:
    assert parse(query) == Everything()


# --- fields ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("title:report", word("report", "title")),
        ("TITLE:report", word("report", "title")),
        ('title:"annual report"', Text("annual report", "phrase", "title")),
        ("title:rep*", Text("rep", "prefix", "title")),
        ("tag:paid", Exact("tag", "paid", 1)),
        ("tags:paid", Exact("tag", "paid", 1)),
        ("Tag:paid", Exact("tag", "paid", 1)),
        ('tag:"to do"', Exact("tag", "to do", 1)),
        ("type:invoice", Exact("type", "invoice", 1)),
        ("lang:deu", Exact("lang", "deu", 1)),
        # Values keep their case here; ``binding`` decides how each field compares.
        ('cf.vendor:"ACME Corp"', Exact("cf.vendor", "ACME Corp", 1)),
        ("cf.Total-Amount:5", Exact("cf.total-amount", "5", 1)),
        ("x tag:paid", And((word("x"), Exact("tag", "paid", 3)))),
        ("title:a OR tag:b", Or((word("a", "title"), Exact("tag", "b", 12)))),
        # Not a field name: a word like any other.
        ("cf.:x", word("cf.:x")),
        ("author:me", word("author:me")),
    ],
)
def test_fields(query: str, tree: Node) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("created:2024", Range("created", "2024", "2024", column=1)),
        ("updated:2024-05-01", Range("updated", "2024-05-01", "2024-05-01", column=1)),
        (
            "created:[2024-01-01 TO 2024-12-31]",
            Range("created", "2024-01-01", "2024-12-31", column=1),
        ),
        ("created:{2024 TO 2025]", Range("created", "2024", "2025", False, True, 1)),
        ("created:[2024 TO 2025}", Range("created", "2024", "2025", True, False, 1)),
        ("created:[* TO 2025]", Range("created", None, "2025", column=1)),
        ("created:[2024 TO *]", Range("created", "2024", None, column=1)),
        ("created:[* TO *]", Range("created", None, None, column=1)),
        ("cf.amount:[100 TO 200]", Range("cf.amount", "100", "200", column=1)),
        ("cf.x:{1 TO *}", Range("cf.x", "1", None, False, False, 1)),
        # Comparisons: the open side is inclusive (it is no bound).
        ("cf.amount:>100", Range("cf.amount", "100", None, False, True, 1)),
        ("cf.amount:>=100", Range("cf.amount", "100", None, True, True, 1)),
        ("cf.amount:<100", Range("cf.amount", None, "100", True, False, 1)),
        ("cf.amount:<=100", Range("cf.amount", None, "100", True, True, 1)),
        ("cf.amount:<+5", Range("cf.amount", None, "+5", True, False, 1)),
        ("updated:>=2024-06-01", Range("updated", "2024-06-01", None, True, True, 1)),
        ("a created:2024", And((word("a"), Range("created", "2024", "2024", column=3)))),
    ],
)
def test_ranges_and_comparisons(query: str, tree: Node) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("cf.balance:-5", Exact("cf.balance", "-5", 1)),
        ("cf.balance:<-100", Range("cf.balance", None, "-100", True, False, 1)),
        ("cf.balance:[-10 TO 0]", Range("cf.balance", "-10", "0", column=1)),
    ],
)
def test_a_custom_field_value_may_be_negative(query: str, tree: Node) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        # A - where a term may start is NOT, also before a number.
        ("-5", Not(word("5"))),
        ("a -5", And((word("a"), Not(word("5"))))),
        ("cf.x:5 -3", And((Exact("cf.x", "5", 1), Not(word("3"))))),
        ("-cf.x:-5", Not(Exact("cf.x", "-5", 2))),
        ("NOT cf.x:<-1", Not(Range("cf.x", None, "-1", True, False, 5))),
        ("cf.x:[-10 TO -.5}", Range("cf.x", "-10", "-.5", True, False, 1)),
        ("cf.x: -5", Exact("cf.x", "-5", 1)),
    ],
)
def test_a_minus_is_not_before_a_term_and_a_sign_in_a_value(query: str, tree: Node) -> None:
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ('created:"2024-05-01"', Range("created", "2024-05-01", "2024-05-01", column=1)),
        (
            'updated:"2024-05-01 10:00"',
            Range("updated", "2024-05-01 10:00", "2024-05-01 10:00", column=1),
        ),
    ],
)
def test_quotes_around_a_date_only_keep_it_together(query: str, tree: Node) -> None:
    assert parse(query) == tree


# --- malformed queries: the message, and the column where it went wrong ---------------------------


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        ('"abc', "a phrase is not closed", 1),
        ('a "b', "a phrase is not closed", 3),
        ("a)", "unexpected ')'", 2),
        ("()", "unexpected ')'", 2),
        ("a ()", "unexpected ')'", 4),
        ("(a", "the query ends too early", 3),
        ("a OR", "the query ends too early", 5),
        ("a AND", "the query ends too early", 6),
        ("NOT", "the query ends too early", 4),
        ("a NOT", "the query ends too early", 6),
        ("-", "the query ends too early", 2),
        ("title:", "the query ends too early", 7),
        ("cf.x:>=", "the query ends too early", 8),
        ("*", "unexpected '*'", 1),
        ("a**", "unexpected '*'", 3),
        ("updated:*", "unexpected '*'", 9),
        ("=a", "unexpected character '='", 1),
        ("cf.x:=5", "unexpected character '='", 6),
        ("[a TO b]", "unexpected '['", 1),
        ("}", "unexpected '}'", 1),
        (">=5", "unexpected '>='", 1),
        ("x<y", "unexpected '<'", 2),
        ('cf.x:<"5"', "unexpected '\"5\"'", 7),
        ("cf.x:[1 TO]", "unexpected 'TO'", 9),
        ("cf.x:[1 2]", "unexpected '2'", 9),
        ("cf.x:[1 to 2]", "unexpected 'to'", 9),
        ("é)", "unexpected ')'", 2),
        # Only a number may follow a field with a minus.
        ("cf.x:-abc", "unexpected '-'", 6),
        ("title:-x", "unexpected '-'", 7),
        ("cf.x:--5", "unexpected '-'", 6),
        # Columns count from the query's start, line breaks included.
        ('a\n"b', "a phrase is not closed", 3),
        ("a\nb\n=c", "unexpected character '='", 5),
        ("a\n\n)", "unexpected ')'", 4),
    ],
)
def test_malformed_queries_say_what_and_where(query: str, message: str, column: int) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert caught.value.column == column
    assert str(caught.value) == f"{message} at column {column}"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("title:[a TO b]", "title: takes a word, not a range"),
        ("tag:[a TO b]", "tag: takes a word, not a range"),
        ("lang:>deu", "lang: takes a word, not a range"),
        ("tag:pa*", "tag: takes a whole value, not a prefix"),
        ("lang:deu*", "lang: takes a whole value, not a prefix"),
        ("cf.vendor:AC*", "cf.vendor: takes a whole value, not a prefix"),
    ],
)
def test_a_field_refuses_a_value_it_cannot_take(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=f"^{message} at column 1$"):
        parse(query)


def test_a_column_past_a_line_break_counts_from_the_query_start() -> None:
    """The column locates the error in the query as sent, which may hold a newline."""
    with pytest.raises(QuerySyntaxError) as caught:
        parse("aaa\nb)")
    assert caught.value.column == 6


def test_a_fields_column_past_a_line_break_counts_from_the_query_start() -> None:
    assert parse("a\n\ntag:x") == And((word("a"), Exact("tag", "x", 4)))
    with pytest.raises(QuerySyntaxError, match=r"^title: takes a word, not a range at column 3$"):
        parse("a\ntitle:[a TO b]")


# --- the bounds: length, terms and nesting --------------------------------------------------------


def test_the_length_bound_is_exact() -> None:
    assert parse("a" * MAX_QUERY_LENGTH) == word("a" * MAX_QUERY_LENGTH)
    with pytest.raises(QuerySyntaxError, match=f"longer than {MAX_QUERY_LENGTH} characters"):
        parse("a" * (MAX_QUERY_LENGTH + 1))
    with pytest.raises(QuerySyntaxError) as caught:
        parse(" " * (MAX_QUERY_LENGTH + 1))  # checked before anything else: even blanks
    assert caught.value.column is None


@pytest.mark.parametrize(
    "terms",
    [
        lambda n: " ".join(["a"] * n),
        lambda n: " OR ".join(["a"] * n),
        lambda n: " ".join(["-a"] * n),
        lambda n: " ".join(f"tag:t{i}" for i in range(n)),
        lambda n: " ".join(f"cf.x:[{i} TO *]" for i in range(n)),
        lambda n: "(" + " ".join(["a"] * (n - 1)) + ") OR a",
    ],
    ids=["AND", "OR", "NOT", "fields", "ranges", "groups"],
)
def test_the_terms_bound_is_exact_however_the_terms_combine(terms: Callable[[int], str]) -> None:
    assert MAX_CLAUSES == 64
    assert len(terms(MAX_CLAUSES + 1)) <= MAX_QUERY_LENGTH  # the terms bound, not the length's
    parse(terms(MAX_CLAUSES))
    with pytest.raises(QuerySyntaxError, match=f"^the query has more than {MAX_CLAUSES} terms$"):
        parse(terms(MAX_CLAUSES + 1))


HALF = MAX_NESTING // 2


@pytest.mark.parametrize(
    ("deepest_allowed", "too_deep"),
    [
        (nested(MAX_NESTING), nested(MAX_NESTING + 1)),
        ("NOT " * MAX_NESTING + "a", "NOT " * (MAX_NESTING + 1) + "a"),
        ("-" * MAX_NESTING + "a", "-" * (MAX_NESTING + 1) + "a"),
        # Groups and negations count alike: each -( is two levels.
        ("-(" * HALF + "a" + ")" * HALF, "-(" * HALF + "-a" + ")" * HALF),
        ("x " + nested(MAX_NESTING) + " y", "x " + nested(MAX_NESTING + 1) + " y"),
    ],
    ids=["groups", "NOT", "minus", "mixed", "inside a query"],
)
def test_the_nesting_bound_is_exact(deepest_allowed: str, too_deep: str) -> None:
    assert MAX_NESTING == 32
    assert parse(deepest_allowed) != Everything()
    with pytest.raises(QuerySyntaxError) as caught:
        parse(too_deep)
    assert str(caught.value) == f"the query nests groups or negations more than {MAX_NESTING} deep"
    assert caught.value.column is None


def test_nesting_is_depth_not_count() -> None:
    """Many groups side by side are no deeper than one."""
    side_by_side = " ".join([nested(MAX_NESTING)] * 2)
    assert parse(side_by_side) == And((word("a"), word("a")))


def test_a_deep_but_bounded_query_keeps_its_meaning() -> None:
    assert parse(nested(MAX_NESTING)) == parse("a")
    node = parse("NOT " * MAX_NESTING + "a")
    for _ in range(MAX_NESTING):
        assert isinstance(node, Not)
        node = node.item
    assert node == word("a")


# --- all_of: joining trees ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodes", "joined"),
    [
        ((), Everything()),
        ((Everything(), Everything()), Everything()),
        ((word("a"),), word("a")),
        ((Everything(), word("a")), word("a")),
        ((word("a"), Everything(), word("b")), And((word("a"), word("b")))),
    ],
)
def test_all_of_leaves_out_everything(nodes: tuple[Node, ...], joined: Node) -> None:
    assert all_of(*nodes) == joined
