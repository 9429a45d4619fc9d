"""Page operations with a bucket: the new versions' files, previews and word boxes reach it,
and the files of a source left without pages go to the trash with it, then with its emptying."""

from tests import samples
from tests.s3.conftest import local_files, objects
from tests.s3.test_mirror import assert_bucket_equals_media_root, upload


def _pages(document):
    return [page["id"] for page in document["versions"][-1]["pages"]]


def test_the_bucket_follows_page_operations(mirror, alice):
    source = upload(alice, samples.pdf_with_text(["one", "two"]), "source.pdf")
    target = upload(alice, samples.pdf_with_text(["three"]), "target.pdf")
    mirror.run_all()
    rotated = alice.client.post(
        "/api/pages/", json=[{"page": {"id": _pages(source)[1], "number": 2}, "angle": 90}]
    )
    assert rotated.status_code == 200, rotated.text
    version_id = rotated.json()["versions"][-1]["id"]
    mirror.run_all()
    assert_bucket_equals_media_root(mirror)
    assert any(version_id in key for key in objects(mirror.bucket))

    body = {
        "source_page_ids": _pages(rotated.json()),
        "target_page_id": _pages(target)[0],
        "move_strategy": "replace",
    }
    response = alice.client.post("/api/pages/move", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["source"] is None
    mirror.run_all()
    assert_bucket_equals_media_root(mirror)
    # The emptied source went to the trash with its files; emptying it removes them.
    assert any(version_id in key for key in objects(mirror.bucket))
    emptied = alice.client.request("DELETE", "/api/trash/", json={"node_ids": [source["id"]]})
    assert emptied.status_code < 300, emptied.text
    mirror.run_all()
    assert_bucket_equals_media_root(mirror)
    assert not any(source["id"] in key for key in local_files(mirror.storage.root))
    assert not any(version_id in key for key in objects(mirror.bucket))
