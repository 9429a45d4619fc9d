"""Bodies are not read before their sender is known, nor past their size limit.

The in-process tests show the answers; the real-server tests show what the server did not do
(read, spool or hold the body), over a raw socket that sends headers first and stops sending
the moment an answer arrives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import samples
from tests.hardening.raw_http import (
    chunked,
    chunked_file_part,
    head_of,
    multipart_head,
    send,
    zeros,
)
from tests.processes import clean_env, quire_serve

MB = 1 << 20


def test_a_body_without_credentials_is_refused_before_it_is_read(client, db):
    response = client.post("/api/tags/", json={"name": "x" * 100, "color": "#ffffff"})
    assert response.status_code == 401
    assert response.json() == {"detail": "not authenticated"}
    forged = client.post(
        "/api/tags/", json={"name": "x"}, headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert forged.status_code == 401
    assert forged.json() == {"detail": "invalid or expired token"}
    unknown_api_token = client.post(
        "/api/tags/", json={"name": "x"}, headers={"Authorization": "Bearer qt_nosuchtoken"}
    )
    assert unknown_api_token.status_code == 401


def test_a_json_body_over_the_limit_is_413_and_changes_nothing(make_account):
    alice = make_account("alice")
    huge_name = "x" * (1100 << 10)
    response = alice.client.post("/api/tags/", json={"name": huge_name})
    assert response.status_code == 413
    assert response.json() == {"detail": "the request body is larger than the limit of 1 MB"}
    assert alice.client.get("/api/tags/").json()["items"] == []
    # The login form too, which takes a body from anyone.
    login = alice.client.post("/api/token", json={"username": "alice", "password": huge_name})
    assert login.status_code == 413


def test_an_api_token_is_a_credential_before_the_body(make_account):
    alice = make_account("alice")
    created = alice.client.post("/api/tokens/", json={"name": "script"}).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    anonymous = alice.client.__class__(alice.client.app)
    response = anonymous.post("/api/tags/", json={"name": "via token"}, headers=headers)
    assert response.status_code == 201, response.text


# --- a real server: what it reads, spools and holds -----------------------------------------


@dataclass
class Server:
    base: str
    host: str
    port: int
    temp_dir: Path
    pid: int
    token: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("bodies")
    temp_dir = home / "tmp"
    temp_dir.mkdir()
    env = clean_env(
        home,
        QUIRE__SECURITY__SECRET_KEY="s" * 40,
        QUIRE__AUTH__PASSWORD="pass123",
        QUIRE__MAIN__MAX_FILE_SIZE_MB="2",
        QUIRE__OCR__AUTOMATIC="false",
        TMPDIR=str(temp_dir),
    )
    with quire_serve(env, home / "serve.log") as served:
        token = httpx.post(
            f"{served.base}/api/token", json={"username": "admin", "password": "pass123"}
        ).json()["access_token"]
        host, port = served.base.removeprefix("http://").split(":")
        yield Server(served.base, host, int(port), temp_dir, served.process.process.pid, token)


def _temp_bytes(server: Server) -> int:
    return sum(p.stat().st_size for p in server.temp_dir.rglob("*") if p.is_file())


def test_anonymous_300_mb_upload_is_401_before_any_of_it_is_read(server):
    head = multipart_head("/api/documents/upload", str(300 * MB), token=None)
    sent = send(server.host, server.port, head, zeros(300 * MB))
    assert sent.status == 401
    assert json.loads(sent.body) == {"detail": "not authenticated"}
    # Answered at once: far less than the body went out (socket buffers only).
    assert sent.bytes_sent < 16 * MB
    assert _temp_bytes(server) == 0


def test_anonymous_400_mb_json_body_is_401_at_once(server):
    head = head_of(
        "/api/search/", {"Content-Type": "application/json", "Content-Length": str(400 * MB)}
    )
    sent = send(server.host, server.port, head, zeros(400 * MB))
    assert sent.status == 401
    assert sent.bytes_sent < 16 * MB


def test_declared_oversized_upload_is_413_before_reading(server):
    head = multipart_head("/api/documents/upload", str(1 << 30), token=server.token)
    sent = send(server.host, server.port, head, zeros(1 << 30))
    assert sent.status == 413
    assert json.loads(sent.body) == {"detail": "the request body is larger than the limit of 2 MB"}
    assert sent.bytes_sent < 16 * MB
    assert _temp_bytes(server) == 0


def test_chunked_1_gb_upload_stops_at_the_limit(server):
    head = multipart_head("/api/documents/upload", None, token=server.token)
    sent = send(server.host, server.port, head, chunked_file_part(1 << 30))
    assert sent.status == 413
    assert "2 MB" in json.loads(sent.body)["detail"]
    # Stopped reading just past the 2 MB limit: the rest of the gigabyte never went in.
    assert sent.bytes_sent < 24 * MB
    assert _temp_bytes(server) == 0


def test_chunked_json_body_stops_at_the_limit(server):
    head = head_of(
        "/api/search/",
        {
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
            "Authorization": f"Bearer {server.token}",
        },
    )
    sent = send(server.host, server.port, head, chunked(400 * MB))
    assert sent.status == 413
    assert sent.bytes_sent < 24 * MB


def test_uploads_within_the_limit_still_work(server):
    headers = {"Authorization": f"Bearer {server.token}"}
    response = httpx.post(
        f"{server.base}/api/documents/upload",
        headers=headers,
        files={"file": ("ok.pdf", samples.pdf_with_text(["fine"]), "application/pdf")},
    )
    assert response.status_code == 201, response.text
