"""Word boxes: where each word of a page's text layer sits, read back through the API."""

import uuid

import pytest

from tests import samples
from tests.helpers.previews import run_previews
from tests.ocr.helpers import document, run_ocr, upload

# samples.scanned_page draws its first line at (150, 200) px on a 1748 x 2480 px page.
FIRST_LINE_LEFT = 150 / 1748
FIRST_LINE_TOP = 200 / 2480


def page_words(account, page):
    return account.client.get(f"/api/pages/{page['id']}/words")


def test_an_ocrd_scan_keeps_where_each_word_is(app, db, alice, automatic_ocr):
    uploaded = upload(alice, samples.scanned_pdf(["Invoice number 4711", "Delivery note"]))
    assert run_ocr(app, db) == ["succeeded"]
    run_previews(app, db)
    one, two = document(alice, uploaded["id"])["versions"][-1]["pages"]

    response = page_words(alice, one)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["page_id"], body["number"]) == (one["id"], 1)
    boxes = {word["text"]: word["box"] for word in body["words"]}
    assert [word["text"] for word in body["words"]] == one["text"].split()
    x0, y0, x1, y1 = boxes["Invoice"]
    assert x0 == pytest.approx(FIRST_LINE_LEFT, abs=0.02)
    assert y0 == pytest.approx(FIRST_LINE_TOP, abs=0.02)
    assert x0 < x1 < boxes["number"][0] < boxes["4711"][0] < 1
    assert y0 < y1 < 0.2  # one line of 80 px type: a thin band near the top
    assert [word["text"] for word in page_words(alice, two).json()["words"]] == [
        "Delivery",
        "note",
    ]


def test_a_born_digital_pdf_has_word_boxes_without_ocr(app, db, alice):
    texts = ["first page words", "second page words"]
    uploaded = upload(alice, samples.pdf_with_text(texts), "letter.pdf")
    run_previews(app, db)
    pages = document(alice, uploaded["id"])["versions"][-1]["pages"]
    for page, text in zip(pages, texts, strict=True):
        words = page_words(alice, page).json()["words"]
        assert [word["text"] for word in words] == text.split()
        assert all(0 <= c <= 1 for word in words for c in word["box"])


def test_a_page_without_text_has_no_word_boxes(app, db, alice):
    uploaded = upload(alice, samples.scanned_pdf(["Invoice number 4711"]))
    run_previews(app, db)
    (page,) = uploaded["versions"][0]["pages"]
    response = page_words(alice, page)
    assert response.status_code == 404
    assert "no word boxes" in response.json()["detail"]


def test_another_users_page_is_not_found(app, db, alice, bob):
    uploaded = upload(alice, samples.pdf_with_text(["private words"]), "letter.pdf")
    run_previews(app, db)
    (page,) = uploaded["versions"][0]["pages"]
    assert page_words(alice, page).status_code == 200
    foreign = page_words(bob, page)
    missing = bob.client.get(f"/api/pages/{uuid.uuid4()}/words")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
