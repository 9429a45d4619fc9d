"""Paging bounds and hostile search queries: each once a 500 (or a dead server), now a 4xx
naming what is wrong, or a correct answer where the request is legitimate.

Search tests run on both engines (``tests/search``'s fixtures) and, like every API test, on
each database; the parser's and binding's cases need neither.
"""

# The search fixtures are imported from tests/search, so test arguments "redefine" them.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from quire.search import backend
from quire.search.binding import bind
from quire.search.engines import engine_for
from quire.search.query import Everything, QuerySyntaxError, Range, parse
from tests.conftest import Account
from tests.search.conftest import Search, engine_url, search  # noqa: F401 (fixtures)

DEEP = "(" * 300 + "a" + ")" * 300
HUGE = 1118286350931702560325632  # from the report: past every database's integers


# --- the parser and binding -----------------------------------------------------------------


@pytest.mark.parametrize("query", [DEEP, "-" * 300 + "a", "NOT " * 300 + "a"])
def test_deep_nesting_is_a_syntax_error_not_a_recursion_error(query: str) -> None:
    with pytest.raises(QuerySyntaxError, match="nests groups or negations more than 32"):
        parse(query)
    # The bound leaves every query a person writes alone.
    assert parse("(" * 32 + "a" + ")" * 32) == parse("a")


def _bound(query: str) -> Range:
    node = bind(parse(query))
    assert isinstance(node, Range)
    return node


def test_the_calendars_last_day_is_a_date_whose_period_never_ends() -> None:
    node = _bound("created:9999-12-31")
    assert node.low == datetime(9999, 12, 31, tzinfo=UTC)
    assert node.include_low
    assert node.high is None  # past 9999-12-31T23:59:59.999999: open
    assert _bound("created:9999").high is None
    assert _bound("created:9999-12").low == datetime(9999, 12, 1, tzinfo=UTC)


def test_after_the_calendars_end_is_nothing() -> None:
    node = _bound("created:>9999-12-31")
    assert (node.low, node.include_low, node.high) == (
        datetime.max.replace(tzinfo=UTC),
        False,
        None,
    )


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [
        # A zone moving a moment off the calendar clamps it to the end it fell off.
        ("created:0001-01-01T00:00:00+01:00", datetime.min, datetime(1, 1, 1, 0, 0, 0, 1)),
        ("created:9999-12-31T23:00:00-05:00", datetime.max, None),
    ],
)
def test_time_zones_at_the_calendars_ends_do_not_overflow(
    query: str, low: datetime, high: datetime | None
) -> None:
    node = _bound(query)
    assert node.low == low.replace(tzinfo=UTC)
    assert node.high == (high and high.replace(tzinfo=UTC))


def test_a_number_too_large_for_a_float_is_refused() -> None:
    with pytest.raises(QuerySyntaxError, match="too large a number"):
        bind(parse("cf.total:" + "9" * 400))


def test_engines_refuse_a_page_beyond_the_result_window(search: Search) -> None:
    engine = engine_for(search.settings)
    window = backend.MAX_RESULT_WINDOW
    assert window == 10_000
    for offset, limit in [(10**12, 10), (window - 9, 10), (-1, 10)]:
        with pytest.raises(backend.ResultWindowExceeded):
            engine.search(
                Everything(),
                ["u:x"],
                sort=backend.Sort(),
                offset=offset,
                limit=limit,
                pages_per_hit=1,
            )
    last = engine.search(
        Everything(), ["u:x"], sort=backend.Sort(), offset=window - 10, limit=10, pages_per_hit=1
    )
    assert last.hits == []


# --- the search API, on both engines --------------------------------------------------------


def _detail(response: Any, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json()["detail"]


def _locs(detail: list[dict[str, Any]]) -> set[str]:
    return {str(error["loc"][-1]) for error in detail}


def test_a_huge_search_page_is_a_422_not_a_dead_server(search: Search, alice: Account) -> None:
    page = {"q": "a", "page_number": 1_000_000_000_000}
    assert _locs(_detail(alice.client.get("/api/search/", params=page), 422)) == {"page_number"}
    assert _locs(_detail(alice.client.post("/api/search/", json=page), 422)) == {"page_number"}


def test_a_page_past_the_result_window_is_a_400_naming_it(search: Search, alice: Account) -> None:
    search.upload(alice, "report", ["quarterly numbers"])
    past = {"q": "report", "page_number": 10_000, "page_size": 100}
    for response in (
        alice.client.get("/api/search/", params=past),
        alice.client.post("/api/search/", json=past),
    ):
        detail = _detail(response, 400)
        assert detail["max_result_window"] == 10_000
        assert "only the first 10,000 hits" in detail["msg"]
    # The window's last page is still served.
    last = search.get(alice, "report", page_number=100, page_size=100)
    assert (last["total"], last["items"]) == (1, [])


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("created:[* TO *]", True),
        ("-created:[* TO *]", False),
        ("created:9999-12-31", False),
        ("created:0001-01-01", False),
        ("created:>=0001", True),
        ("created:<=9999", True),
        ("updated:[0001-01-01 TO 9999-12-31]", True),
        ("created:0001-01-01T00:00:00+01:00", False),
        ("created:>9999-12-31T23:00:00-05:00", False),
    ],
)
def test_dates_at_the_calendars_ends_are_answered(
    search: Search, alice: Account, query: str, found: bool
) -> None:
    search.upload(alice, "report", ["quarterly numbers"])
    titles = ["report"] if found else []
    assert [item["title"] for item in search.get(alice, query)["items"]] == titles


def test_structured_date_filters_at_the_calendars_ends(search: Search, alice: Account) -> None:
    search.upload(alice, "report", ["quarterly numbers"])
    body = {"created": {"from": "0001-01-01", "to": "9999-12-31"}}
    assert [item["title"] for item in search.post(alice, **body)["items"]] == ["report"]
    late = {"updated": {"from": "9999-12-31T23:00:00-05:00"}}
    assert search.post(alice, **late)["items"] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (DEEP, "nests groups or negations more than 32 deep"),
        ("cf.total:[1 TO " + "9" * 400 + "]", "too large a number"),
    ],
)
def test_hostile_queries_are_a_400_saying_why(
    search: Search, alice: Account, query: str, message: str
) -> None:
    detail = _detail(alice.client.get("/api/search/", params={"q": query}), 400)
    assert message in detail["msg"]
    assert detail["query"] == query


# --- every other paged endpoint -------------------------------------------------------------


def _paged_urls(account: Account) -> list[str]:
    response = account.client.post("/api/document-types/", json={"name": "invoice"})
    assert response.status_code == 201, response.text
    return [
        "/api/users/",
        "/api/groups/",
        "/api/roles/",
        "/api/tags/",
        "/api/custom-fields/",
        "/api/document-types/",
        "/api/tasks/",
        "/api/shared-nodes/",
        f"/api/nodes/{account.home_id}",
        f"/api/documents/type/{response.json()['id']}",
    ]


@pytest.mark.parametrize("page_number", [HUGE, 1_000_001])
def test_list_pages_are_bounded(make_account: Callable[..., Account], page_number: int) -> None:
    account = make_account()
    for url in _paged_urls(account):
        response = account.client.get(url, params={"page_number": page_number})
        assert _locs(_detail(response, 422)) == {"page_number"}, url
        # The deepest page allowed is answered, empty.
        deepest = account.client.get(url, params={"page_number": 1_000_000, "page_size": 99})
        assert deepest.status_code == 200, (url, deepest.text)
        assert deepest.json()["items"] == [], url


def test_an_event_cursor_past_every_id_is_a_422(alice: Account) -> None:
    huge = alice.client.get("/api/events/", params={"after": 2967746726386429767880540160})
    assert _locs(_detail(huge, 422)) == {"after"}
    largest = alice.client.get("/api/events/", params={"after": 2**63 - 1})
    assert (largest.status_code, largest.json()) == (200, [])
