"""Server errors the schema fuzzer (test_fuzz.py) found beyond paging and search queries, each
pinned by a test of its own."""

from __future__ import annotations

from tests import samples
from tests.conftest import Account


def _tag_names(account: Account, node_id: str) -> list[str]:
    response = account.client.get(f"/api/nodes/{node_id}/tags")
    assert response.status_code == 200, response.text
    return [tag["name"] for tag in response.json()]


def test_tagging_twice_with_a_non_ascii_capital_reuses_the_tag(alice: Account) -> None:
    # SQLite's lower() folds ASCII only: the lookup missed "Ärger" and inserted it again (500).
    for method in ("post", "patch", "post"):
        response = getattr(alice.client, method)(
            f"/api/nodes/{alice.inbox_id}/tags", json=["Ärger", "ärger", "Öl"]
        )
        assert response.status_code == 200, response.text
    assert _tag_names(alice, alice.inbox_id) == ["Ärger", "Öl"]
    listed = alice.client.get("/api/tags/all").json()
    assert sorted(tag["name"] for tag in listed) == ["Ärger", "Öl"]


def test_a_tag_name_the_database_takes_for_another_is_a_409_or_the_same_tag(
    alice: Account, backend: str
) -> None:
    # MariaDB's collation also ignores accents, so "resume" and "résumé" are one name there;
    # elsewhere they are two tags. Either way, no 500.
    first = alice.client.post(f"/api/nodes/{alice.inbox_id}/tags", json=["resume"])
    assert first.status_code == 200, first.text
    second = alice.client.patch(f"/api/nodes/{alice.home_id}/tags", json=["résumé"])
    if backend == "mysql":
        assert second.status_code == 409, second.text
        assert "résumé" in second.json()["detail"]
        assert _tag_names(alice, alice.home_id) == []
    else:
        assert second.status_code == 200, second.text
        assert _tag_names(alice, alice.home_id) == ["résumé"]


def test_renaming_a_role_to_a_taken_name_with_new_scopes_is_a_409(alice: Account) -> None:
    # The scopes' queries autoflushed the new name before commit_unique could answer 409.
    roles = [
        alice.client.post("/api/roles/", json={"name": name, "scopes": ["node.view"]})
        for name in ("reader", "writer")
    ]
    assert [role.status_code for role in roles] == [201, 201]
    writer = roles[1].json()["id"]
    response = alice.client.patch(
        f"/api/roles/{writer}", json={"name": "reader", "scopes": ["node.update"]}
    )
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": "a role named 'reader' already exists"}
    unchanged = alice.client.get(f"/api/roles/{writer}").json()
    assert (unchanged["name"], unchanged["scopes"]) == ("writer", ["node.view"])


NUL = "a\x00b"


def _nul_requests(account: Account) -> dict[str, tuple[str, str, dict]]:
    """A request per text input that reaches the database, each with NUL in that input."""
    client = account.client
    folder = client.post(
        "/api/nodes/", json={"title": "f", "ctype": "folder", "parent_id": account.home_id}
    ).json()["id"]
    tag = client.post("/api/tags/", json={"name": "t"}).json()["id"]
    pdf = ("a.pdf", samples.pdf_with_text(["x"]), "application/pdf")
    return {
        "node title": (
            "post",
            "/api/nodes/",
            {"json": {"title": NUL, "ctype": "folder", "parent_id": account.home_id}},
        ),
        "node rename": ("patch", f"/api/nodes/{folder}", {"json": {"title": NUL}}),
        "node filter": ("get", f"/api/nodes/{account.home_id}", {"params": {"filter": NUL}}),
        "upload title": (
            "post",
            "/api/documents/upload",
            {"files": {"file": pdf}, "data": {"title": NUL}},
        ),
        "node tags": ("post", f"/api/nodes/{folder}/tags", {"json": [NUL]}),
        "tag name": ("post", "/api/tags/", {"json": {"name": NUL}}),
        "tag description": ("patch", f"/api/tags/{tag}", {"json": {"description": NUL}}),
        "tag filter": ("get", "/api/tags/", {"params": {"filter": NUL}}),
        "field name": ("post", "/api/custom-fields/", {"json": {"name": NUL, "type": "text"}}),
        "field filter": ("get", "/api/custom-fields/", {"params": {"filter": NUL}}),
        "type name": ("post", "/api/document-types/", {"json": {"name": NUL}}),
        "type path template": (
            "post",
            "/api/document-types/",
            {"json": {"name": "t", "path_template": NUL}},
        ),
        "type filter": ("get", "/api/document-types/", {"params": {"filter": NUL}}),
        "group name": ("post", "/api/groups/", {"json": {"name": NUL}}),
        "role name": ("post", "/api/roles/", {"json": {"name": NUL, "scopes": []}}),
        "username": ("post", "/api/users/", {"json": {"username": NUL, "password": "pw"}}),
        "email": (
            "post",
            "/api/users/",
            {"json": {"username": "u", "email": NUL, "password": "pw"}},
        ),
        "token name": ("post", "/api/tokens/", {"json": {"name": NUL}}),
        "shared filter": ("get", "/api/shared-nodes/", {"params": {"filter": NUL}}),
        "sign-in": ("post", "/api/token", {"json": {"username": NUL, "password": "x"}}),
    }


def test_nul_in_any_text_is_a_422_and_stores_nothing(alice: Account, all_rows) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL refuses NUL in text: each of these was a 500 there, and SQLite and MariaDB
    # stored it.
    requests = _nul_requests(alice)
    before = all_rows()
    answers = {
        what: getattr(alice.client, method)(path, **kwargs).status_code
        for what, (method, path, kwargs) in requests.items()
    }
    assert answers == dict.fromkeys(requests, 422)
    assert all_rows() == before


def test_a_nul_is_refused_naming_the_input(alice: Account) -> None:
    response = alice.client.post("/api/tags/", json={"name": NUL})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "name"]
    assert "must not contain the NUL character" in error["msg"]
