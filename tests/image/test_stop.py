"""Stopping the container loses no work: an upload under way when the stop signal comes is
stored, and an OCR that a kill cut short runs again when a new container starts on the volume."""

from __future__ import annotations

import http.client
import json
import re
import uuid

from tests import samples
from tests.image.conftest import found, seed_env, signed_in
from tests.image.engine import Engine
from tests.processes import free_port, wait_for

WORD = "Zustellungsurkunde"


def multipart(file_name: str, content: bytes) -> tuple[str, bytes]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return f"multipart/form-data; boundary={boundary}", body


def test_an_upload_under_way_when_the_container_stops_is_kept(engine: Engine, image: str) -> None:
    port = free_port()
    first = engine.run(image, *seed_env(), port=port)
    first.wait_until_serving()
    with signed_in(first.base or "") as client:
        token = client.headers["Authorization"]
    content_type, body = multipart("late.pdf", samples.scanned_pdf([WORD]))

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.putrequest("POST", "/api/documents/upload")
    for name, value in (
        ("Authorization", token),
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
    ):
        connection.putheader(name, value)
    connection.endheaders()
    half = len(body) // 2
    connection.send(body[:half])
    # The stop signal comes while the body is half sent; the server must take the rest.
    first.signal("SIGTERM")
    wait_for(lambda: "Shutting down" in first.logs(), 30, "the server to begin stopping")
    connection.send(body[half:])
    response = connection.getresponse()
    answer = response.read()
    assert response.status == 201, answer
    document_id = json.loads(answer)["id"]
    connection.close()
    assert first.exit_code() == 0, first.logs()

    # The document is there, and its OCR ran (before the stop ended, or at this start).
    second = engine.run(image, "--volumes-from", first.id, *seed_env(), port=free_port())
    second.wait_until_serving()
    with signed_in(second.base or "") as client:
        assert client.get(f"/api/documents/{document_id}").status_code == 200
        wait_for(lambda: found(client, WORD) == [document_id], 180, f"search to find {WORD!r}")


def test_an_ocr_cut_short_by_a_kill_runs_at_the_next_start(engine: Engine, image: str) -> None:
    first = engine.run(image, *seed_env(), port=free_port())
    first.wait_until_serving()
    word = "Nachlassverzeichnis"
    with signed_in(first.base or "") as client:
        scan = samples.scanned_pdf([word, "second page", "third page"])
        uploaded = client.post(
            "/api/documents/upload", files={"file": ("estate.pdf", scan, "application/pdf")}
        )
        assert uploaded.status_code == 201, uploaded.text

        def ocr_running() -> bool:
            tasks = client.get("/api/tasks/", params={"state": "running"}).json()["items"]
            return any(task["queue"] == "ocr" for task in tasks)

        wait_for(ocr_running, 60, "the OCR task to start")
    # As when the engine's stop timeout runs out during an OCR, or the host loses power.
    first.signal("SIGKILL")
    assert first.exit_code() == 137

    second = engine.run(image, "--volumes-from", first.id, *seed_env(), port=free_port())
    second.wait_until_serving()
    # The OCR, and whatever else was running (a preview).
    assert re.search(r"resuming \d+ interrupted task\(s\)", second.logs())
    with signed_in(second.base or "") as client:
        document_id = uploaded.json()["id"]
        wait_for(lambda: found(client, word) == [document_id], 180, f"search to find {word!r}")
