"""The upgrade scenario's client: Quire through the load balancer, from the controller.

    python client.py seed    --base https://LB --ca-file CRT --password PW --out SEED.json
    python client.py traffic --base https://LB --ca-file CRT --password PW --stop-file F --out R
    python client.py check   --base https://LB --ca-file CRT --password PW --seed SEED.json

`seed` (before the upgrade) uploads documents and makes a folder, and records their ids and
the SHA-256 of each file as downloaded. `traffic` (during it), until the stop file exists,
signs in now and then and in a loop reads the home folder and the signed-in user and creates
folders: reads and writes, on whichever web host the load balancer picks. Every answer that is
not the expected status, and every connection error, is a failure, listed in its report with
the time it happened. `check` (after it) downloads the seeded documents again and exits 1 when
one is missing or differs. The standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import ssl
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

PAUSE_SECONDS = 0.05


class Client:
    def __init__(
        self, base: str, username: str, password: str, ca_file: Path | None = None
    ) -> None:
        self.base = base.rstrip("/")
        # The load balancer's certificate checked against the given one (self-signed here).
        self.tls = ssl.create_default_context(cafile=ca_file)
        self.username = username
        self.password = password
        self.token = ""
        self.requests = 0
        self.failures: list[dict[str, Any]] = []

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        expect: int = 200,
        raw: tuple[bytes, str] | None = None,
    ) -> Any:
        """The answer's JSON (or bytes), or None after recording a failure."""
        data, content_type = raw or (
            b"" if body is None else json.dumps(body).encode(),
            "application/json",
        )
        url = f"{self.base}{path}"
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"not an HTTP(S) URL: {url}")
        request = urllib.request.Request(url, data=data or None, method=method)  # noqa: S310 (checked above)
        request.add_header("content-type", content_type)
        if self.token:
            request.add_header("authorization", f"Bearer {self.token}")
        self.requests += 1
        started = time.time()
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.tls) as answer:  # noqa: S310 (checked above)
                status, content = answer.status, answer.read()
        except urllib.error.HTTPError as error:
            status, content = error.code, error.read()
        except OSError as error:
            self.failures.append(
                {"at": started, "request": f"{method} {path}", "error": str(error)}
            )
            return None
        if status != expect:
            self.failures.append(
                {
                    "at": started,
                    "request": f"{method} {path}",
                    "status": status,
                    "body": content[:300].decode(errors="replace"),
                }
            )
            return None
        return json.loads(content) if content and content[:1] in b"[{" else content

    def sign_in(self) -> bool:
        self.token = ""
        answer = self.call(
            "POST", "/api/token", {"username": self.username, "password": self.password}
        )
        if answer:
            self.token = answer["access_token"]
        return bool(self.token)


def _pdf(text: str) -> bytes:
    """A one-page born-digital PDF showing the text (its offsets table computed here)."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\ncontent-disposition: form-data; name="file"; filename="{filename}"\r\n'
        "content-type: application/pdf\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _download_sha256(client: Client, document_id: str) -> str | None:
    document = client.call("GET", f"/api/documents/{document_id}")
    if not document:
        return None
    # The first version: the file as uploaded (OCR may add versions meanwhile).
    version_id = min(document["versions"], key=lambda version: version["number"])["id"]
    content = client.call("GET", f"/api/document-versions/{version_id}/download")
    return hashlib.sha256(content).hexdigest() if isinstance(content, bytes) else None


def seed(client: Client, out: Path) -> None:
    if not client.sign_in():
        sys.exit(f"cannot sign in: {client.failures}")
    home = client.call("GET", "/api/users/me")["home_folder_id"]
    folder = client.call(
        "POST",
        "/api/nodes/",
        {"title": "before-upgrade", "ctype": "folder", "parent_id": home},
        expect=201,
    )
    documents = {}
    for number in range(3):
        body = _multipart(
            {"title": f"before-upgrade-{number}", "parent_id": folder["id"]},
            f"seed-{number}.pdf",
            _pdf(f"seed {number}"),
        )
        document = client.call("POST", "/api/documents/upload", raw=body, expect=201)
        documents[document["id"]] = _download_sha256(client, document["id"])
    if client.failures or None in documents.values():
        sys.exit(f"seeding failed: {client.failures}")
    out.write_text(json.dumps({"folder": folder["id"], "documents": documents}, indent=2))


def changed_documents(client: Client, seed_file: Path) -> dict[str, dict[str, str | None]]:
    """The seeded documents whose first version is missing or differs now, by id."""
    seeded = json.loads(seed_file.read_text())
    if not client.sign_in():
        sys.exit(f"cannot sign in: {client.failures}")
    now = {
        document_id: _download_sha256(client, document_id) for document_id in seeded["documents"]
    }
    return {
        document_id: {"before": sha256, "after": now[document_id]}
        for document_id, sha256 in seeded["documents"].items()
        if now[document_id] != sha256
    }


def check(client: Client, seed_file: Path) -> None:
    differences = changed_documents(client, seed_file)
    if differences or client.failures:
        sys.exit(f"the seeded documents changed: {differences} {client.failures}")
    print("the seeded documents are as before")


def traffic(client: Client, stop_file: Path) -> None:
    while not client.sign_in():
        time.sleep(1)
    me = client.call("GET", "/api/users/me")
    home = me["home_folder_id"]
    rounds = 0
    while not stop_file.exists():
        rounds += 1
        if rounds % 50 == 0:
            client.sign_in()
        client.call("GET", f"/api/nodes/{home}?page_size=20")
        client.call("GET", "/api/users/me")
        if rounds % 5 == 0:
            client.call(
                "POST",
                "/api/nodes/",
                {"title": f"traffic-{uuid.uuid4().hex[:12]}", "ctype": "folder", "parent_id": home},
                expect=201,
            )
        time.sleep(PAUSE_SECONDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["seed", "traffic", "check"])
    parser.add_argument("--base", required=True)
    parser.add_argument("--ca-file", type=Path)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", required=True)
    parser.add_argument("--stop-file", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--seed", type=Path)
    args = parser.parse_args()
    client = Client(args.base, args.username, args.password, args.ca_file)
    if args.command == "seed":
        seed(client, args.out)
        return
    if args.command == "check":
        check(client, args.seed)
        return
    started = time.time()
    try:
        traffic(client, args.stop_file)
    finally:
        report = {
            "started": started,
            "stopped": time.time(),
            "requests": client.requests,
            "failures": client.failures,
        }
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
