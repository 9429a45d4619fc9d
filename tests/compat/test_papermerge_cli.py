"""Papermerge's own clients against a real ``quire serve``: the only Papermerge CLI on PyPI,
``papermerge-cli`` 0.8.0, imports a tree of folders and files and lists it; and the server,
configured for an authenticating proxy, believes the proxy's headers from its address only.

The CLI lives in a virtualenv of its own (``papermerge-cli==0.8.0`` with ``click<8.2``, its own
bug with newer click), made once from PyPI and kept in ``~/.cache/quire`` so that reruns take
no time. Without PyPI the test fails, saying so: a CI that cannot fetch it is broken, and
skipping would hide it.

One server per test process (module-scoped; ``xdist_group`` asks for one worker): SQLite, OCR
off, its only trusted proxy 127.0.0.1. The tests' connections come from 127.0.0.1 (the
"proxy") or 127.0.0.2 (anyone else; Linux answers to all of 127.0.0.0/8).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import samples
from tests.processes import clean_env, quire_serve

pytestmark = pytest.mark.xdist_group("papermerge-compat-server")

CLI_REQUIREMENTS = ("papermerge-cli==0.8.0", "click<8.2")
CLI_VENV = Path(
    os.environ.get("QUIRE_PAPERMERGE_CLI_VENV", Path.home() / ".cache/quire/papermerge-cli-0.8.0")
)
PASSWORD = "papermerge-cli-test"


@pytest.fixture(scope="session")
def papermerge_cli() -> Path:
    """The ``papermerge-cli`` command of the cached virtualenv, made if missing."""
    command = CLI_VENV / "bin" / "papermerge-cli"
    done = CLI_VENV / ".installed"
    CLI_VENV.parent.mkdir(parents=True, exist_ok=True)
    with (CLI_VENV.parent / f"{CLI_VENV.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one maker at a time, across test processes
        if not done.is_file():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(CLI_VENV)], check=True)
            pip = [str(CLI_VENV / "bin" / "pip"), "install", "--quiet", *CLI_REQUIREMENTS]
            installed = subprocess.run(pip, capture_output=True, text=True, timeout=600)
            if installed.returncode != 0:
                pytest.fail(
                    f"cannot install {' '.join(CLI_REQUIREMENTS)} from PyPI:\n{installed.stderr}"
                )
            done.write_text(" ".join(CLI_REQUIREMENTS) + "\n")
    return command


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("papermerge-cli")
    env = clean_env(
        home,
        QUIRE__SECURITY__SECRET_KEY="papermerge-cli-test-" + "k" * 32,
        QUIRE__AUTH__PASSWORD=PASSWORD,
        QUIRE__OCR__AUTOMATIC="false",
        QUIRE__SECURITY__TRUSTED_PROXIES="127.0.0.1",
        QUIRE__AUTH__REMOTE="true",
    )
    with quire_serve(env, home / "serve.log") as served:
        yield served.base


@pytest.fixture(scope="module")
def token(server: str) -> str:
    response = httpx.post(f"{server}/api/token", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _tree(root: Path) -> None:
    """Folders two deep, PDFs and images, as a scanner's share might hold them."""
    (root / "2024" / "taxes").mkdir(parents=True)
    (root / "letters").mkdir()
    (root / "scan.pdf").write_bytes(samples.pdf_with_text(["top"]))
    (root / "2024" / "receipt.png").write_bytes(samples.image("PNG"))
    (root / "2024" / "taxes" / "return.pdf").write_bytes(samples.pdf_with_text(["tax", "p2"]))
    (root / "2024" / "taxes" / "form.jpg").write_bytes(samples.image("JPEG"))
    (root / "letters" / "dear.pdf").write_bytes(samples.pdf_with_text(["dear"]))


def _cli(command: Path, server: str, token: str, *args: str) -> str:
    env = {
        **clean_env(Path(os.environ.get("HOME", "/tmp"))),
        "PAPERMERGE_CLI__HOST": server,
        "PAPERMERGE_CLI__TOKEN": token,
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [str(command), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _walk(server: str, headers: dict[str, str], folder_id: str, path: str = "") -> dict[str, int]:
    """``{path: pages of its last version}`` of every document below the folder, folders as -1."""
    found: dict[str, int] = {}
    listing = httpx.get(
        f"{server}/api/nodes/{folder_id}", params={"page_size": 100}, headers=headers
    )
    for item in listing.json()["items"]:
        name = f"{path}/{item['title']}"
        if item["ctype"] == "folder":
            found[name] = -1
            found.update(_walk(server, headers, item["id"], name))
        else:
            document = httpx.get(f"{server}/api/documents/{item['id']}", headers=headers).json()
            found[name] = document["versions"][-1]["page_count"]
    return found


def test_papermerge_cli_imports_a_tree_and_lists_it(papermerge_cli, server, token, tmp_path):
    _tree(tmp_path)
    assert "0.8.0" in _cli(papermerge_cli, server, token, "--version")
    imported = _cli(papermerge_cli, server, token, "import", str(tmp_path))
    # The CLI prints what went wrong and still exits 0: its silence is the success.
    assert imported.strip() == ""
    headers = {"Authorization": f"Bearer {token}"}
    me = httpx.get(f"{server}/api/users/me", headers=headers).json()
    assert _walk(server, headers, me["inbox_folder_id"]) == {
        "/scan.pdf": 1,
        "/2024": -1,
        "/2024/receipt.png": 1,
        "/2024/taxes": -1,
        "/2024/taxes/return.pdf": 2,
        "/2024/taxes/form.jpg": 1,
        "/letters": -1,
        "/letters/dear.pdf": 1,
    }
    listed = _cli(papermerge_cli, server, token, "ls", "--inbox")
    for title in ("scan.pdf", "2024", "letters"):
        assert title in listed
    assert me["username"] in _cli(papermerge_cli, server, token, "me")


def _from(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def test_a_real_server_believes_the_proxy_headers_from_the_proxy_alone(server):
    headers = {"Remote-User": "admin", "X-Forwarded-For": "198.51.100.7"}
    with _from("127.0.0.1") as proxy, _from("127.0.0.2") as stranger:
        me = proxy.get(f"{server}/api/users/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["username"] == "admin"
        for claims in (headers, {"Remote-User": "admin", "X-Forwarded-For": "127.0.0.1"}):
            refused = stranger.get(f"{server}/api/users/me", headers=claims)
            assert refused.status_code == 401
            assert refused.json() == {"detail": "not authenticated"}
