"""The sandbox and the path rules, without a database: what a template may do and print."""

from datetime import date, datetime

import pytest

from quire.path_templates.paths import PathRefused, TargetPath, parse_path
from quire.path_templates.sandbox import (
    MAX_OUTPUT,
    DocumentContext,
    MissingValue,
    RenderLimit,
    TemplateProblem,
    check_template,
    compile_template,
    render,
)

DOCUMENT = DocumentContext(
    id="0b7e",
    title="Bill 12",
    type="Invoice",
    cf={"Company": "ACME", "Year": 2024, "Due": date(2024, 3, 9)},
    tags=("paid", "tax"),
    owner="alice",
    created=datetime(2024, 1, 2, 10, 0),
    updated=datetime(2024, 1, 3, 11, 0),
    has_all_cf=False,
)
FIELDS = ["Company", "Year", "Due", "Total"]


def rendered(source):
    check_template(source, FIELDS)
    return render(compile_template(source), DOCUMENT)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "/home/Invoices/{{ document.cf['Company'] }}/{{ document.cf['Year'] }}/"
            "{{ document.title }}",
            "/home/Invoices/ACME/2024/Bill 12",
        ),
        ("/home/{{ document.cf.Due|date('%Y/%m') }}/", "/home/2024/03/"),
        ("/home/{{ document.title|slugify }}-{{ document.owner|upper }}", "/home/bill-12-ALICE"),
        ("/home/{{ document.tags|join(', ') }}/{{ document.type }}", "/home/paid, tax/Invoice"),
        ("/home/{{ document.created|date('%Y') }}/{{ document.id }}", "/home/2024/0b7e"),
        ("/home/{{ document.cf.get('Total')|default('no total') }}", "/home/no total"),
        (
            "{% if document.has_all_cf %}/home/Done/{% else %}/home/Pending/{% endif %}",
            "/home/Pending/",
        ),
        ("/home/{% for tag in document.tags %}{{ tag }}{% endfor %}", "/home/paidtax"),
        (
            "/home/{% for t in document.tags %}{{ loop.index }}{{ t }}"
            "{% if not loop.last %}+{% endif %}{% endfor %}",
            "/home/1paid+2tax",
        ),
        ("/home/{{ document.cf['Year'] + 1 }}", "/home/2025"),
    ],
)
def test_templates_print_the_documented_context(source, expected):
    assert rendered(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "/home/{{ document.cf['Total'] }}/x",
        "/home/{{ document.cf.Total|upper }}",
        "/home/{{ document.cf['Total'] + 1 }}",
        "/home/{{ document.cf.Total|date }}",
        "/home/{{ document.cf.get('Total') }}",
    ],
)
def test_a_missing_value_printed_is_missing_not_empty(source):
    with pytest.raises(MissingValue):
        rendered(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "may start with _"),
        ("{{ cycler.__init__.__globals__ }}", "unknown variable 'cycler'"),
        ("{{ namespace() }}", "unknown variable 'namespace'"),
        ("{{ document.__class__ }}", "may start with _"),
        ("{{ document.session }}", "document has no 'session'"),
        ("{% include '/etc/passwd' %}", "'include' is not allowed"),
        ("{% extends 'base.html' %}", "'extends' is not allowed"),
        ("{% import 'x' as y %}", "'import' is not allowed"),
        ("{% macro f(x) %}{{ f(x ~ x) }}{% endmacro %}{{ f('a') }}", "'macro' is not allowed"),
        ("{% set x %}{{ document.title }}{% endset %}", "'assignblock' is not allowed"),
        ("{{ document.title|format(1) }}", "No filter named 'format'"),
        ("{{ document.cf['Nope'] }}", "unknown custom field 'Nope'"),
        ("{{ document.cf.get('Nope') }}", "unknown custom field 'Nope'"),
    ],
)
def test_hostile_or_unknown_is_refused_when_saved(source, message):
    with pytest.raises(TemplateProblem, match=message) as refused:
        check_template(source, FIELDS)
    assert refused.value.line == 1


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''['__class__'] }}", "unsafe"),
        ("{{ document.title.ljust(1000000000) }}", "unsafe"),
        ("{{ document.cf.items().__iter__ }}", "unsafe"),
        ("{% for t in document.tags %}{{ loop.cycle('a', 'b') }}{% endfor %}", "unsafe"),
        ("{{ 'x' * 100000 }}", "longer than"),
        ("{{ 10 ** 100000 }}", "exponent"),
        ("{{ '%999999999d' % 1 }}", "% is not available"),
        ("{% for i in range(100000) %}x{% endfor %}", "at most 1000 numbers"),
        ("{% for i in range(1000) %}{{ document.title * 10 }}{% endfor %}", "longer than"),
        (
            "{% set a = document.title * 400 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c }}",
            "longer than",
        ),
        (
            "{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            "took longer than",
        ),
    ],
)
def test_hostile_templates_are_stopped_when_rendered(source, message):
    with pytest.raises(TemplateProblem, match=message):
        render(compile_template(source), DOCUMENT)


def test_output_is_bounded():
    with pytest.raises(RenderLimit):
        render(
            compile_template("{% for i in range(999) %}{{ document.title }}{% endfor %}"), DOCUMENT
        )
    assert 999 * len(DOCUMENT.title) > MAX_OUTPUT


def test_syntax_errors_and_unknown_fields_say_where():
    with pytest.raises(TemplateProblem) as syntax:
        check_template("/home/\n{{ document.title ]}}\n/x", FIELDS)
    assert syntax.value.line == 2
    with pytest.raises(TemplateProblem) as unknown:
        check_template("/home/{{ document.title }}/\n/{{ document.cf['Compny'] }}", FIELDS)
    assert (unknown.value.line, unknown.value.column) == (2, 18)
    assert "'Company'" in str(unknown.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/home/Invoices/ACME/Bill", TargetPath("home", ("Invoices", "ACME"), "Bill")),
        ("  /inbox/ Scans /Bill \n", TargetPath("inbox", ("Scans",), "Bill")),
        ("/home/Invoices/", TargetPath("home", ("Invoices",), None)),
        ("/home", TargetPath("home", (), None)),
    ],
)
def test_paths_name_the_owners_folders(text, expected):
    assert parse_path(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "/home/../../etc/passwd",
        "/home/Invoices/../x",
        "/home/./x",
        "home/x",
        "",
        "/bob/x",
        "/trash/x",
        "/home//x",
        "/home/a\x07b/x",
        "/home/" + "x" * 256,
    ],
)
def test_paths_outside_the_owners_folders_are_refused(text):
    with pytest.raises(PathRefused):
        parse_path(text)
