"""Page operations (POST /api/pages/, /pages/move, /pages/extract) and POST /api/documents/merge,
with real PDFs: each makes new versions built from the old ones' pages, which stay."""

import io
import re
import uuid

import pikepdf
import pytest
from PIL import Image
from sqlalchemy import select

from quire.core import page_operations, words
from quire.core.files import Limits
from quire.core.models import Page, TaskRecord
from quire.core.scopes import (
    NODE_VIEW,
    PAGE_EXTRACT,
    PAGE_MOVE,
    PAGE_UPDATE,
    PAGE_VIEW,
)
from tests import samples
from tests.api.scope_checks import assert_refused_without
from tests.helpers.documents import upload
from tests.helpers.nodes import make_document, make_folder
from tests.helpers.previews import run_previews
from tests.helpers.sharing import VIEWER, make_role, share

THREE = ["alpha one", "beta two", "gamma three"]


def new_document(account, texts, title="doc", parent_id=None):
    document = make_document(account, title, parent_id)
    response = upload(account, document["id"], samples.pdf_with_text(texts), f"{title}.pdf")
    assert response.status_code == 200, response.text
    return response.json()


def assert_in_trash(account, node_id):
    """A source left without pages, or merged away, is deleted: into the owner's trash."""
    trash = account.client.get("/api/trash/", params={"page_size": 100})
    assert trash.status_code == 200, trash.text
    assert node_id in {item["id"] for item in trash.json()["items"]}


def fetch(account, document_id):
    response = account.client.get(f"/api/documents/{document_id}")
    assert response.status_code == 200, response.text
    return response.json()


def last(document):
    return document["versions"][-1]


def page_ids(document):
    return [page["id"] for page in last(document)["pages"]]


def ops(document, *picks):
    """The body of POST /pages/: (index into the current pages, angle) for each kept page."""
    pages = last(document)["pages"]
    return [{"page": {"id": pages[i]["id"], "number": i + 1}, "angle": a} for i, a in picks]


def download(account, version):
    response = account.client.get(version["download_url"])
    assert response.status_code == 200, response.text
    return response.content


def pdf_facts(data, tmp_path):
    """(rotation, words read from the text layer) of each page of a PDF."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        rotations = [int(page.obj.get("/Rotate", 0)) % 360 for page in pdf.pages]
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(data)
    texts = [" ".join(word.text for word in page) for page in words.extract(path)]
    return list(zip(rotations, texts, strict=True))


def texts(version):
    return [page["text"] for page in version["pages"]]


def tasks(db, name):
    with db.session() as session:
        query = select(TaskRecord).where(TaskRecord.name == name, TaskRecord.state == "pending")
        return [record.args for record in session.scalars(query)]


def assert_new_version(account, before, after, tmp_path):
    """``after`` has one more version than ``before``; the old one is kept, byte for byte."""
    assert [v["number"] for v in after["versions"]] == [
        *(v["number"] for v in before["versions"]),
        len(before["versions"]) + 1,
    ]
    old = download(account, last(before))
    assert download(account, after["versions"][-2]) == old
    assert download(account, last(after)) != old


def test_reorder_rotate_and_delete_in_one_call(alice, app, db, tmp_path):
    document = new_document(alice, THREE)
    body = ops(document, (2, 90), (0, 0), (1, -90))  # gamma turned, alpha, beta turned back
    response = alice.client.post("/api/pages/", json=body)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["id"] == document["id"]
    assert_new_version(alice, document, after, tmp_path)
    assert texts(last(after)) == ["gamma three", "alpha one", "beta two"]
    data = download(alice, last(after))
    assert pdf_facts(data, tmp_path) == [
        (90, "gamma three"),
        (0, "alpha one"),
        (270, "beta two"),
    ]
    assert fetch(alice, document["id"])["versions"] == after["versions"]
    # Its work, in the same commit: the previews of the new version, the index, nothing else.
    assert {"version_id": last(after)["id"]} in tasks(db, "previews")
    assert any(document["id"] in args["node_ids"] for args in tasks(db, "index"))

    # Deleting: the pages left out are gone from the new version only.
    response = alice.client.post("/api/pages/", json=ops(after, (1, 0)))
    assert response.status_code == 200, response.text
    assert texts(last(response.json())) == ["alpha one"]
    assert [v["page_count"] for v in response.json()["versions"]] == [3, 3, 1]


def test_the_angle_is_relative_to_the_current_rotation(alice, tmp_path):
    document = new_document(alice, ["only"])
    first = alice.client.post("/api/pages/", json=ops(document, (0, 90))).json()
    second = alice.client.post("/api/pages/", json=ops(first, (0, 180))).json()
    assert pdf_facts(download(alice, last(second)), tmp_path) == [(270, "only")]
    third = alice.client.post("/api/pages/", json=ops(second, (0, -270))).json()
    assert pdf_facts(download(alice, last(third)), tmp_path) == [(0, "only")]


def test_a_rotated_page_has_its_preview_and_word_boxes_turned(alice, app, db):
    document = new_document(alice, ["hello world"])
    run_previews(app, db)
    before = alice.client.get(f"/api/pages/{page_ids(document)[0]}/words").json()
    after = alice.client.post("/api/pages/", json=ops(document, (0, 90))).json()
    run_previews(app, db)
    page_id = page_ids(after)[0]
    image = Image.open(io.BytesIO(alice.client.get(f"/api/pages/{page_id}/jpg").content))
    assert image.width > image.height  # A4 portrait turned a quarter: landscape
    response = alice.client.get(f"/api/pages/{page_id}/words")
    assert response.status_code == 200, response.text
    turned = response.json()["words"]
    assert [w["text"] for w in turned] == ["hello", "world"]
    # Near the top left before (72 pt in, 122 pt down on A4); a quarter turn clockwise puts
    # it near the top right, reading downwards: x from the old y, y from the old x.
    for old, new in zip(before["words"], turned, strict=True):
        x0, y0, x1, y1 = old["box"]
        assert new["box"] == pytest.approx([1 - y1, x0, 1 - y0, x1], abs=1e-3)
    assert turned[0]["box"][0] > 0.8


def test_move_pages_mix_before_and_after_the_target_page(alice, tmp_path):
    source = new_document(alice, ["s1", "s2", "s3"], "source")
    target = new_document(alice, ["t1", "t2"], "target")
    body = {
        "source_page_ids": [page_ids(source)[2], page_ids(source)[0]],
        "target_page_id": page_ids(target)[1],
        "move_strategy": "mix",
    }
    response = alice.client.post("/api/pages/move", json=body)
    assert response.status_code == 200, response.text
    moved = response.json()
    assert texts(last(moved["target"])) == ["t1", "s1", "s3", "t2"]  # before t2, as upstream
    assert texts(last(moved["source"])) == ["s2"]
    assert_new_version(alice, target, moved["target"], tmp_path)
    assert_new_version(alice, source, moved["source"], tmp_path)
    data = download(alice, last(moved["target"]))
    assert [text for _, text in pdf_facts(data, tmp_path)] == ["t1", "s1", "s3", "t2"]

    body = {
        "source_page_ids": page_ids(moved["source"]),
        "target_page_id": page_ids(moved["target"])[3],
        "move_strategy": "mix",
        "position": "after",
    }
    response = alice.client.post("/api/pages/move", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["source"] is None  # its last page left: deleted, as upstream does
    assert texts(last(response.json()["target"])) == ["t1", "s1", "s3", "t2", "s2"]
    assert_in_trash(alice, source["id"])


def test_move_pages_replace(alice, db, tmp_path):
    source = new_document(alice, ["s1", "s2"], "source")
    target = new_document(alice, ["t1", "t2", "t3"], "target")
    body = {
        "source_page_ids": [page_ids(source)[1]],
        "target_page_id": page_ids(target)[0],
        "move_strategy": "replace",
    }
    response = alice.client.post("/api/pages/move", json=body)
    assert response.status_code == 200, response.text
    moved = response.json()
    assert texts(last(moved["target"])) == ["s2"]
    assert texts(last(moved["source"])) == ["s1"]
    assert texts(moved["target"]["versions"][0]) == ["t1", "t2", "t3"]  # still there
    previews = tasks(db, "previews")
    assert {"version_id": last(moved["target"])["id"]} in previews
    assert {"version_id": last(moved["source"])["id"]} in previews


def test_extract_pages_into_one_document_and_one_per_page(alice, tmp_path):
    folder = make_folder(alice, "extracted")
    source = new_document(alice, ["p1", "p2", "p3", "p4"], "source")
    body = {
        "source_page_ids": [page_ids(source)[3], page_ids(source)[1]],
        "target_folder_id": folder["id"],
        "strategy": "all-pages-in-one-doc",
        "title_format": "invoice",
    }
    response = alice.client.post("/api/pages/extract", json=body)
    assert response.status_code == 200, response.text
    extracted = response.json()
    assert texts(last(extracted["source"])) == ["p1", "p3"]
    assert_new_version(alice, source, extracted["source"], tmp_path)
    (new,) = extracted["target"]
    assert re.fullmatch(r"invoice-[0-9a-f-]{36}\.pdf", new["title"])
    assert new["parent_id"] == folder["id"]
    made = fetch(alice, new["id"])
    assert texts(last(made)) == ["p2", "p4"]
    data = download(alice, last(made))
    assert [text for _, text in pdf_facts(data, tmp_path)] == ["p2", "p4"]

    body = {
        "source_page_ids": page_ids(extracted["source"]),
        "target_folder_id": folder["id"],
        "strategy": "one-page-per-doc",
        "title_format": "page",
    }
    response = alice.client.post("/api/pages/extract", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["source"] is None
    singles = [fetch(alice, node["id"]) for node in response.json()["target"]]
    assert [texts(last(document)) for document in singles] == [["p1"], ["p3"]]
    assert_in_trash(alice, source["id"])


def test_merge_documents_appends_the_pages_and_deletes_the_sources(alice, db, tmp_path):
    target = new_document(alice, ["t1"], "target")
    first = new_document(alice, ["a1", "a2"], "first")
    second = new_document(alice, ["b1"], "second")
    body = {"source_ids": [second["id"], first["id"]], "target_id": target["id"]}
    response = alice.client.post("/api/documents/merge", json=body)
    assert response.status_code == 200, response.text
    merged = response.json()
    assert texts(last(merged)) == ["t1", "b1", "a1", "a2"]
    assert_new_version(alice, target, merged, tmp_path)
    data = download(alice, last(merged))
    assert [text for _, text in pdf_facts(data, tmp_path)] == ["t1", "b1", "a1", "a2"]
    for gone in (first, second):
        assert_in_trash(alice, gone["id"])
    indexed = {node_id for args in tasks(db, "index") for node_id in args["node_ids"]}
    assert {target["id"], first["id"], second["id"]} <= indexed


# --- refusals: each changes nothing -----------------------------------------------------------


def _bodies(owner, other):
    """A body for each operation, on ``owner``'s pages, into ``other``'s document or folder."""
    document = new_document(owner, THREE, "mine")
    second = new_document(owner, ["x"], "second")
    target = new_document(other, ["t"], "target")
    ids = page_ids(document)
    return {
        "apply": ("/api/pages/", ops(document, (1, 90), (0, 0))),
        "move": (
            "/api/pages/move",
            {"source_page_ids": ids[:1], "target_page_id": page_ids(target)[0],
             "move_strategy": "mix"},
        ),
        "extract": (
            "/api/pages/extract",
            {"source_page_ids": ids[:1], "target_folder_id": other.home_id,
             "strategy": "one-page-per-doc", "title_format": "x"},
        ),
        "merge": (
            "/api/documents/merge",
            {"source_ids": [second["id"]], "target_id": document["id"]},
        ),
    }  # fmt: skip


def test_others_pages_are_not_found_and_nothing_changes(alice, bob, all_rows):
    bodies = _bodies(bob, bob)
    before = all_rows()
    for url, body in bodies.values():
        response = alice.client.post(url, json=body)
        assert response.status_code == 404, (url, response.text)
        assert response.json() == {"detail": "Not Found"}
    assert all_rows() == before


def test_into_others_nodes_is_not_found_and_nothing_changes(alice, bob, all_rows):
    bodies = _bodies(alice, bob)
    before = all_rows()
    for name in ("move", "extract"):
        url, body = bodies[name]
        response = alice.client.post(url, json=body)
        assert response.status_code == 404, (url, response.text)
    assert all_rows() == before


def test_a_view_only_share_is_forbidden_and_nothing_changes(alice, bob, all_rows):
    bodies = _bodies(bob, alice)
    viewer = make_role(bob, "viewer", VIEWER | {PAGE_VIEW})
    assert share(bob, [bob.home_id], [viewer], [alice.id]).status_code == 204
    before = all_rows()
    for name in ("apply", "move", "extract", "merge"):
        url, body = bodies[name]
        response = alice.client.post(url, json=body)
        assert response.status_code == 403, (url, response.text)
        assert "does not allow" in response.json()["detail"]
    assert all_rows() == before


def test_a_share_allowing_page_updates_is_enough(alice, bob):
    document = new_document(bob, THREE)
    editor = make_role(bob, "pages", {NODE_VIEW, PAGE_VIEW, PAGE_UPDATE})
    assert share(bob, [document["id"]], [editor], [alice.id]).status_code == 204
    response = alice.client.post("/api/pages/", json=ops(document, (2, 0), (1, 0)))
    assert response.status_code == 200, response.text
    assert texts(last(fetch(bob, document["id"]))) == ["gamma three", "beta two"]


@pytest.mark.parametrize(
    ("scope", "name"), [(PAGE_UPDATE, "apply"), (PAGE_MOVE, "move"), (PAGE_EXTRACT, "extract")]
)
def test_refused_without_the_scope(make_account, all_rows, scope, name):
    assert_refused_without(
        make_account, all_rows, scope, "POST", lambda a: _bodies(a, a)[name][0], []
    )


def _bad_bodies(alice):
    document = new_document(alice, THREE, "doc")
    other = new_document(alice, ["other"], "other")
    ids = page_ids(document)
    old = ids[0]
    document = alice.client.post("/api/pages/", json=ops(document, (0, 0), (1, 0), (2, 0))).json()
    ids = page_ids(document)
    pick = ops(document, (0, 0), (1, 0))
    unknown = str(uuid.uuid4())
    move = {"target_page_id": page_ids(other)[0], "move_strategy": "mix"}
    extract = {"target_folder_id": alice.home_id, "strategy": "one-page-per-doc",
               "title_format": "x"}  # fmt: skip
    return {
        "unknown page": ("/api/pages/", [{"page": {"id": unknown, "number": 1}}], 404),
        "number out of range": ("/api/pages/", [{"page": {"id": ids[0], "number": 7}}], 400),
        "page of an old version": ("/api/pages/", [{"page": {"id": old, "number": 1}}], 400),
        "duplicate pages": ("/api/pages/", [pick[0], pick[0]], 400),
        "every page deleted": ("/api/pages/", [], 422),
        "two documents": ("/api/pages/", [pick[0], *ops(other, (0, 0))], 400),
        "angle of 45": ("/api/pages/", [{**pick[0], "angle": 45}], 422),
        "move onto itself": (
            "/api/pages/move", {**move, "source_page_ids": ids[:1], "target_page_id": ids[2]}, 400
        ),
        "move no pages": ("/api/pages/move", {**move, "source_page_ids": []}, 422),
        "move unknown target": (
            "/api/pages/move", {**move, "source_page_ids": ids[:1], "target_page_id": unknown}, 404
        ),
        "move bad strategy": (
            "/api/pages/move", {**move, "source_page_ids": ids[:1], "move_strategy": "x"}, 422
        ),
        "extract into a document": (
            "/api/pages/extract", {**extract, "source_page_ids": ids[:1],
                                   "target_folder_id": other["id"]}, 400
        ),
        "extract duplicates": (
            "/api/pages/extract", {**extract, "source_page_ids": [ids[0], ids[0]]}, 400
        ),
        "extract no title": (
            "/api/pages/extract", {**extract, "source_page_ids": ids[:1], "title_format": ""}, 422
        ),
        "merge into itself": (
            "/api/documents/merge", {"source_ids": [document["id"]],
                                     "target_id": document["id"]}, 400
        ),
        "merge a document twice": (
            "/api/documents/merge", {"source_ids": [other["id"], other["id"]],
                                     "target_id": document["id"]}, 400
        ),
        "merge nothing": ("/api/documents/merge", {"source_ids": [],
                                                  "target_id": document["id"]}, 422),
    }  # fmt: skip


BAD = [
    "unknown page", "number out of range", "page of an old version", "duplicate pages",
    "every page deleted", "two documents", "angle of 45", "move onto itself", "move no pages",
    "move unknown target", "move bad strategy", "extract into a document", "extract duplicates",
    "extract no title", "merge into itself", "merge a document twice", "merge nothing",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_refused_with_a_detail_and_changes_nothing(alice, all_rows, app, case):
    url, body, code = _bad_bodies(alice)[case]
    media = sorted(p for p in app.state.storage.root.rglob("*") if p.is_file())
    before = all_rows()
    response = alice.client.post(url, json=body)
    assert response.status_code == code, response.text
    assert response.json()["detail"]
    assert all_rows() == before
    assert sorted(p for p in app.state.storage.root.rglob("*") if p.is_file()) == media


def test_the_result_is_within_the_page_limit(alice, app, all_rows):
    target = new_document(alice, ["t1", "t2"], "target")
    source = new_document(alice, ["s1"], "source")
    limit = app.state.settings.main.max_pages_per_document
    app.state.settings.main.max_pages_per_document = 2
    try:
        before = all_rows()
        body = {"source_ids": [source["id"]], "target_id": target["id"]}
        response = alice.client.post("/api/documents/merge", json=body)
        assert response.status_code == 400, response.text
        assert "at most 2" in response.json()["detail"]
        assert all_rows() == before
    finally:
        app.state.settings.main.max_pages_per_document = limit


def test_a_change_committed_first_makes_a_conflict_that_leaves_nothing(alice, app, db, all_rows):
    """Two operations on one document at once: the one that commits second finds its version
    number taken, keeps nothing (rows or files) and says to try again."""
    document = new_document(alice, THREE)
    with db.session() as session:
        pages = list(
            session.scalars(select(Page).where(Page.id.in_(map(uuid.UUID, page_ids(document)))))
        )
        pages.sort(key=lambda page: page.number)
        assert len(pages[0].version.document.versions) == 1  # what this session has read
        response = alice.client.post("/api/pages/", json=ops(document, (0, 90)))
        assert response.status_code == 200, response.text
        before = all_rows()
        media = sorted(p for p in app.state.storage.root.rglob("*") if p.is_file())
        limits = Limits.from_settings(app.state.settings)
        with pytest.raises(page_operations.PageOperationConflict):
            page_operations.apply_page_operations(
                session, app.state.storage, [page_operations.Placed(pages[1])], limits
            )
    assert all_rows() == before
    assert sorted(p for p in app.state.storage.root.rglob("*") if p.is_file()) == media


def test_page_operations_are_in_the_audit_log(alice):
    document = new_document(alice, ["one", "two", "three"], "audited")
    other = new_document(alice, ["x"], "absorbed")
    assert alice.client.post("/api/pages/", json=ops(document, (2, 90), (0, 0))).status_code == 200
    body = {"source_ids": [other["id"]], "target_id": document["id"]}
    assert alice.client.post("/api/documents/merge", json=body).status_code == 200
    log = alice.client.get("/api/audit-logs/", params={"node_id": document["id"]}).json()["items"]
    assert [(entry["action"], entry["details"].get("pages")) for entry in log[:2]] == [
        ("page.move", 3),
        ("page.update", 2),
    ]
    assert log[0]["details"]["merged_ids"] == [other["id"]]
    deleted = alice.client.get("/api/audit-logs/", params={"node_id": other["id"]}).json()
    assert deleted["items"][0]["action"] == "node.delete"
