"""The search page's controls read into the API's SearchBody, and written back as links."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from quire.search.query import And, Exact, Or, Range
from quire.web.ui.search_filters import SearchForm, describe


def test_empty_controls_are_no_filter() -> None:
    form = SearchForm.of(
        QueryParams("q=&tags=&type=&cf=&cf_op=eq&cf_value=&created_from=&kind=&sort=score")
    )
    assert not form.asked
    assert form.body(1, 20).filters() == SearchForm().body(1, 20).filters()
    assert form.url() == "?"


def test_every_control_becomes_the_apis_filter() -> None:
    form = SearchForm.of(
        QueryParams(
            "q=invoice&tags=paid,+2026+,&type=Invoice&type=Receipt&cf=amount&cf_op=gte"
            "&cf_value=100&created_from=2026-01-01&created_to=2026-03-31&updated_to=2026-06-01"
            "&kind=document&sort=title"
        )
    )
    assert form.asked
    assert form.filtered
    body = form.body(2, 20)
    assert body.q == "invoice"
    assert body.tags is not None
    assert body.tags.all == ["paid", "2026"]
    assert body.types == ["Invoice", "Receipt"]
    assert body.custom_fields[0].name == "amount"
    assert body.custom_fields[0].op == "gte"
    assert body.created is not None
    assert body.created.from_ == date(2026, 1, 1)
    assert body.updated is not None
    assert body.updated.from_ is None
    assert (body.ctype, body.sort, body.order, body.page_number) == ("document", "title", "asc", 2)
    tree = body.filters()
    assert isinstance(tree, And)
    assert Exact("tag", "paid") in tree.items
    assert Or((Exact("type", "Invoice"), Exact("type", "Receipt"))) in tree.items
    assert Range("cf.amount", "100", None) in tree.items
    assert Exact("ctype", "document") in tree.items


def test_a_link_keeps_every_control_and_changes_the_page() -> None:
    query = "q=a+b&tags=x,y&type=T&cf=n&cf_op=ne&cf_value=v&updated_from=2026-02-01&kind=folder"
    form = SearchForm.of(QueryParams(query))
    again = SearchForm.of(QueryParams(form.url(page=3)[1:]))
    assert again == form
    assert "page=3" in form.url(page=3)


def test_a_custom_field_without_a_value_is_no_filter() -> None:
    form = SearchForm.of(QueryParams("cf=amount&cf_op=gt"))
    assert not form.filtered
    assert form.body(1, 20).custom_fields == []


@pytest.mark.parametrize(
    ("query", "where"),
    [
        ("created_from=yesterday", "created.from"),
        ("updated_to=2026-13-45", "updated.to"),
        ("cf=amount&cf_op=like&cf_value=1", "custom_fields.op"),
        ("cf=a;drop&cf_value=1", "custom_fields.name"),
        ("kind=pdf", "ctype"),
        ("sort=size", "sort"),
    ],
)
def test_a_bad_control_is_refused_naming_it(query: str, where: str) -> None:
    form = SearchForm.of(QueryParams(query))
    with pytest.raises(ValidationError) as refused:
        form.body(1, 20)
    assert where in describe(refused.value)
