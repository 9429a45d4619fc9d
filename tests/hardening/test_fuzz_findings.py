"""Server errors the schema fuzzer (test_fuzz.py) found beyond paging and search queries, each
pinned by a test of its own."""

from __future__ import annotations

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
