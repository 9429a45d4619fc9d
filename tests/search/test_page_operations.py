"""Page operations reach the index: a moved page's words are found in its new document (and
no longer in the old one), an extracted page's in the new document, a merge's in the target."""


def _pages(document):
    return [page["id"] for page in document["versions"][-1]["pages"]]


def test_a_moved_pages_words_are_found_in_its_new_document(search, alice):
    source = search.upload(alice, "source", ["zanzibar harbour", "plain words"])
    target = search.upload(alice, "target", ["kilimanjaro summit"])
    body = {
        "source_page_ids": _pages(source)[:1],
        "target_page_id": _pages(target)[0],
        "move_strategy": "mix",
    }
    response = alice.client.post("/api/pages/move", json=body)
    assert response.status_code == 200, response.text
    assert set(search.run_indexer()) == {"succeeded"}
    (hit,) = search.get(alice, "zanzibar")["items"]
    assert hit["id"] == target["id"]
    assert [page["number"] for page in hit["pages"]] == [1]
    assert search.titles(alice, "plain") == ["source"]
    assert search.titles(alice, "kilimanjaro") == ["target"]


def test_extracted_and_merged_pages_are_found_where_they_went(search, alice):
    source = search.upload(alice, "source", ["walrus tusk", "narwhal horn"])
    other = search.upload(alice, "other", ["penguin egg"])
    body = {
        "source_page_ids": _pages(source)[1:],
        "target_folder_id": alice.home_id,
        "strategy": "all-pages-in-one-doc",
        "title_format": "extracted",
    }
    response = alice.client.post("/api/pages/extract", json=body)
    assert response.status_code == 200, response.text
    (new,) = response.json()["target"]
    merge = {"source_ids": [other["id"]], "target_id": source["id"]}
    assert alice.client.post("/api/documents/merge", json=merge).status_code == 200
    assert set(search.run_indexer()) == {"succeeded"}
    assert [hit["id"] for hit in search.get(alice, "narwhal")["items"]] == [new["id"]]
    assert [hit["id"] for hit in search.get(alice, "penguin")["items"]] == [source["id"]]
    assert [hit["id"] for hit in search.get(alice, "walrus")["items"]] == [source["id"]]
