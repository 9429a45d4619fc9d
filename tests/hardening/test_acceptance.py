"""The hardening issue's acceptance, end to end: one real ``quire serve`` on its embedded
default takes every hostile request the outside attack found, answers each with a 4xx (or
succeeds within its limits), stays up, keeps its peak RSS under 1 GB, and the owner of the
attacked account still signs in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.hardening import hostile
from tests.hardening.raw_http import chunked_file_part, head_of, multipart_head, send, zeros
from tests.processes import Served, clean_env, quire_serve, wait_for

PASSWORD = "the-admins-password"
MB = 1 << 20
PEAK_RSS_LIMIT_MB = 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("attacked")
    env = clean_env(
        home,
        QUIRE__SECURITY__SECRET_KEY="acceptance-" + "k" * 40,
        QUIRE__AUTH__PASSWORD=PASSWORD,
        # OCR's own limits are tested in tests/ocr; here, what the web process does itself.
        QUIRE__OCR__AUTOMATIC="false",
    )
    with quire_serve(env, home / "serve.log") as served:
        yield served


@pytest.fixture(scope="module")
def api(server: Served) -> Iterator[httpx.Client]:
    token = httpx.post(
        f"{server.base}/api/token", json={"username": "admin", "password": PASSWORD}
    ).json()["access_token"]
    with httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        yield client


def _peak_rss_mb(server: Served) -> int:
    status = Path(f"/proc/{server.process.process.pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) // 1024


def _still_well(server: Served) -> None:
    assert server.process.process.poll() is None, server.process.output()[-3000:]
    assert httpx.get(f"{server.base}/api/probe/").status_code == 200
    assert _peak_rss_mb(server) < PEAK_RSS_LIMIT_MB


def _client_error(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "detail" in response.json()


def test_paging_and_queries(server, api):
    huge = 1_000_000_000_000
    _client_error(api.get("/api/search/", params={"q": "a", "page_number": huge}))
    _client_error(api.post("/api/search/", json={"q": "a", "page_number": huge}))
    _client_error(api.get("/api/tags/", params={"page_number": "1118286350931702560325632"}))
    _client_error(api.get("/api/events/", params={"after": str(10**30)}))
    for query in ("created:[* TO *]", "created:9999-12-31", "created:0001-01-01"):
        response = api.get("/api/search/", params={"q": query})
        assert response.status_code < 500, (query, response.text)
    _client_error(api.get("/api/search/", params={"q": "(" * 300 + "a" + ")" * 300}))
    _still_well(server)


def test_bodies(server, api):
    host, port = server.base.removeprefix("http://").split(":")
    anonymous_upload = send(
        host,
        int(port),
        multipart_head("/api/documents/upload", str(300 * MB), token=None),
        zeros(300 * MB),
    )
    assert anonymous_upload.status == 401
    anonymous_json = send(
        host,
        int(port),
        head_of(
            "/api/search/", {"Content-Type": "application/json", "Content-Length": str(400 * MB)}
        ),
        zeros(400 * MB),
    )
    assert anonymous_json.status == 401
    token = api.headers["Authorization"].removeprefix("Bearer ")
    endless_upload = send(
        host,
        int(port),
        multipart_head("/api/documents/upload", None, token=token),
        chunked_file_part(1 << 30),
    )
    assert endless_upload.status == 413
    # Read up to the 100 MB limit (MAIN__MAX_FILE_SIZE_MB), not the gigabyte.
    assert endless_upload.bytes_sent < 124 * MB
    _still_well(server)


def _upload(api: httpx.Client, name: str, data: bytes, mime: str) -> httpx.Response:
    return api.post("/api/documents/upload", files={"file": (name, data, mime)})


def test_files(server, api):
    for name, data, mime in (
        ("pages.pdf", hostile.many_pages_pdf(5_000), "application/pdf"),
        ("huge.png", hostile.huge_png(18_900, 18_900), "image/png"),
        ("frames.tiff", hostile.many_frames_tiff(3_000), "image/tiff"),
    ):
        _client_error(_upload(api, name, data, mime))
    tall = _upload(api, "tall.pdf", hostile.tall_page_pdf(), "application/pdf")
    assert tall.status_code == 201, tall.text
    document = tall.json()
    page = document["versions"][-1]["pages"][0]
    for url in (
        f"/api/thumbnails/{document['id']}",
        *(page[f"preview_image_{size}_url"] for size in ("sm", "md", "lg", "xl")),
    ):
        response = api.get(url)
        assert response.status_code == 200, (url, response.text)
    # The previews task, run by this process, drew it too, and ended.
    wait_for(
        lambda: (
            {t["state"] for t in api.get("/api/tasks/?page_size=100").json()["items"]}
            <= {"succeeded", "failed"}
        ),
        60,
        "the previews tasks to end",
    )
    _still_well(server)


def test_the_attacked_owner_still_signs_in(server):
    for _ in range(12):
        httpx.post(f"{server.base}/api/token", json={"username": "admin", "password": "guess"})
    from_here = httpx.post(
        f"{server.base}/api/token", json={"username": "admin", "password": PASSWORD}
    )
    assert from_here.status_code == 429
    elsewhere = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with elsewhere:
        response = elsewhere.post(
            f"{server.base}/api/token", json={"username": "admin", "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    _still_well(server)
