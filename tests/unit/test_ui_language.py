"""Which language a page is in: the user's choice, else Accept-Language, else English."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from quire.web.ui.i18n import request_language


def _request(accept: str | None = None, cookie: str | None = None) -> Request:
    headers = []
    if accept is not None:
        headers.append((b"accept-language", accept.encode()))
    if cookie is not None:
        headers.append((b"cookie", f"quire_lang={cookie}".encode()))
    return Request({"type": "http", "headers": headers})


@pytest.mark.parametrize(
    ("accept", "cookie", "language"),
    [
        (None, None, "en"),
        ("de-DE,de;q=0.9,en;q=0.8", None, "de"),
        ("fr-CH, fr;q=0.9, de;q=0.8, en;q=0.7", None, "de"),
        ("en;q=0.5, de;q=0.9", None, "de"),
        ("de;q=0, en", None, "en"),
        ("fr, es", None, "en"),
        ("de;q=nonsense, en", None, "en"),
        ("de", "en", "en"),
        ("en", "de", "de"),
        ("de", "xx", "de"),
    ],
)
def test_language(accept: str | None, cookie: str | None, language: str) -> None:
    assert request_language(_request(accept, cookie)) == language
