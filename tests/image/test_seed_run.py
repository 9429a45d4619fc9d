"""The README's first command: `docker run` with two variables gives Quire with OCR and search.

The container runs with exactly the seed's two variables and a port mapping; the data lands in
the volume the image declares, so a new container given that volume (``--volumes-from``) has
the document, and its text, after the first one is stopped.
"""

from __future__ import annotations

import json

from tests import samples
from tests.image.conftest import found, seed_env, signed_in
from tests.image.engine import Engine
from tests.processes import free_port, wait_for

# Only OCR can know it: the upload is a scan, an image without a text layer.
WORD = "Quittungsbeleg"


def test_the_readme_run_serves_ocr_and_search_and_keeps_the_data(
    engine: Engine, image: str
) -> None:
    first = engine.run(image, *seed_env(), port=free_port())
    cold_start = first.wait_until_serving()
    print(f"cold start to a healthy probe: {cold_start:.1f} s")
    with signed_in(first.base or "") as client:
        scan = samples.scanned_pdf([WORD])
        uploaded = client.post(
            "/api/documents/upload", files={"file": ("receipt.pdf", scan, "application/pdf")}
        )
        assert uploaded.status_code == 201, uploaded.text
        document_id = uploaded.json()["id"]
        wait_for(lambda: found(client, WORD) == [document_id], 180, f"search to find {WORD!r}")

    # The image's HEALTHCHECK passes (run by hand: podman runs them from systemd timers only).
    check = json.loads(
        engine("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image)
    )
    assert check["Test"][0] == "CMD"
    first.exec(*check["Test"][1:])
    # Everything in the container runs as the user quire, port 80 included.
    uids = first.exec("sh", "-c", "grep -h '^Uid:' /proc/[0-9]*/status | cut -f2 | sort -u")
    assert uids.split() == ["1000"]
    assert first.stop() == 0, first.logs()

    second = engine.run(image, "--volumes-from", first.id, *seed_env(), port=free_port())
    second.wait_until_serving()
    with signed_in(second.base or "") as client:
        assert found(client, WORD) == [document_id]
        version = client.get(f"/api/documents/{document_id}/last-version/").json()
        download = client.get(f"/api/document-versions/{version['id']}/download")
        assert download.status_code == 200
        assert download.content.startswith(b"%PDF")
