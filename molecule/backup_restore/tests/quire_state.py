"""What a backup must carry over: a Quire host's folders, documents, tags and files.

``state(host)`` reads them through the REST API (with curl inside the container) and from the
media root. The scenario records the state before the backup (seed.yml runs this file) and the
tests compare it with the restored host's:

    python quire_state.py podman://CONTAINER > before.json

URLs are left out (they may carry a token); everything else the API answers is compared, ids,
times and OCR'd text included, since a restore brings back the very rows.
"""

from __future__ import annotations

import json
import sys
import tomllib
from typing import Any

import testinfra

BASE = "http://127.0.0.1:12000"
MEDIA_ROOT = "/var/lib/quire/media"
PAGE_SIZE = 100


def curl(host, *args: str) -> tuple[int, str]:
    """(HTTP status, body) of a request made inside the container."""
    command = "curl -sS -m 30 -w %s" + " %s" * len(args)
    body, _, status = host.check_output(command, "\\n%{http_code}", *args).rpartition("\n")
    return int(status), body


def token(host) -> str:
    """An access token of the admin whose password quire.toml holds."""
    settings = tomllib.loads(host.file("/etc/quire/quire.toml").content_string)
    auth = settings["auth"]
    credentials = {"username": auth["username"], "password": auth["password"]}
    status, body = curl(
        host,
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "-d",
        json.dumps(credentials),
        f"{BASE}/api/token",
    )
    assert status == 200, body
    return json.loads(body)["access_token"]


def get(host, access_token: str, path: str) -> Any:
    status, body = curl(host, "-H", f"authorization: Bearer {access_token}", f"{BASE}{path}")
    assert status == 200, f"GET {path}: {status} {body}"
    return json.loads(body)


def without_urls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_urls(v) for k, v in value.items() if not k.endswith(("_url", "URL"))}
    if isinstance(value, list):
        return [without_urls(item) for item in value]
    return value


def nodes(host, access_token: str) -> dict[str, Any]:
    """Every node under the admin's home and inbox by id; a document with its versions and
    pages."""
    me = get(host, access_token, "/api/users/me")
    found: dict[str, Any] = {}
    folders = [me["home_folder_id"], me["inbox_folder_id"]]
    while folders:
        folder = folders.pop()
        number = 1
        while True:
            listing = get(
                host,
                access_token,
                f"/api/nodes/{folder}?page_size={PAGE_SIZE}&page_number={number}",
            )
            for item in listing["items"]:
                if item["ctype"] == "folder":
                    folders.append(item["id"])
                    found[item["id"]] = without_urls(item)
                else:
                    found[item["id"]] = without_urls(
                        get(host, access_token, f"/api/documents/{item['id']}")
                    )
            if number >= listing["num_pages"]:
                break
            number += 1
    return found


def files(host) -> dict[str, str]:
    """The SHA-256 of every file of the media root (not its scratch space, tmp/)."""
    listing = host.check_output(
        f"cd {MEDIA_ROOT} && find . -path ./tmp -prune -o -type f ! -name '.tmp-*' -print0"
        " | sort -z | xargs -0r sha256sum"
    )
    checksums = {}
    for line in listing.splitlines():
        digest, _, name = line.partition("  ")
        checksums[name.removeprefix("./")] = digest
    return checksums


def state(host) -> dict[str, Any]:
    access_token = token(host)
    return {
        "nodes": nodes(host, access_token),
        "tags": without_urls(get(host, access_token, "/api/tags/all")),
        "files": files(host),
    }


if __name__ == "__main__":
    json.dump(state(testinfra.get_host(sys.argv[1])), sys.stdout, indent=1, sort_keys=True)
