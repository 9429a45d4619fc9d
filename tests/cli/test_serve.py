"""``quire serve`` as a user starts it: a real server process on a free port, real HTTP."""

import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests import samples
from tests.helpers.cli import run_quire
from tests.processes import clean_env, free_port, quire_serve


@contextmanager
def served(env: dict[str, str], *args: str) -> Iterator[str]:
    with (
        tempfile.NamedTemporaryFile(suffix=".log") as log,
        quire_serve(env, Path(log.name), *args) as server,
    ):
        yield server.base


def _login(base: str, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{base}/api/token", json={"username": username, "password": password})


def test_upstream_simplest_setup_works(tmp_path):
    """Only the two variables of Papermerge's docker quick start: admin / pass123 logs in."""
    env = clean_env(
        tmp_path, PAPERMERGE__SECURITY__SECRET_KEY="abc", PAPERMERGE__AUTH__PASSWORD="pass123"
    )
    with served(env) as base:
        response = _login(base, "admin", "pass123")
        assert response.status_code == 200
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        me = httpx.get(f"{base}/api/users/me", headers=headers).json()
        assert me["username"] == "admin"
        assert me["is_superuser"] is True

        # A PDF uploaded over HTTP appears in the inbox listing and downloads byte-identical.
        data = samples.pdf_with_text(["curl upload"])
        uploaded = httpx.post(
            f"{base}/api/documents/upload",
            headers=headers,
            files={"file": ("curl.pdf", data, "application/pdf")},
        )
        assert uploaded.status_code == 201
        inbox = httpx.get(f"{base}/api/nodes/{me['inbox_folder_id']}", headers=headers).json()
        assert [item["title"] for item in inbox["items"]] == ["curl.pdf"]
        url = uploaded.json()["versions"][0]["download_url"]
        assert httpx.get(f"{base}{url}", headers=headers).content == data
    # The data went to the default data dir under $HOME.
    assert (tmp_path / ".local/share/quire/quire.sqlite3").is_file()


def test_missing_secret_key_stops_with_a_clear_message(tmp_path):
    env = clean_env(tmp_path, QUIRE__AUTH__PASSWORD="pw")
    result = run_quire("serve", "--port", str(free_port()), env=env, timeout=60)
    assert result.returncode == 1
    assert "SECURITY__SECRET_KEY is not set" in result.stderr


def test_superuser_is_updated_idempotently_and_dev_secret_is_kept(tmp_path):
    data_dir = tmp_path / "data"
    first_env = clean_env(
        tmp_path, QUIRE__MAIN__DATA_DIR=str(data_dir), QUIRE__AUTH__PASSWORD="first"
    )
    with served(first_env, "--generate-secret") as base:
        token = _login(base, "admin", "first").json()["access_token"]
    secret_file = data_dir / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600

    second_env = {**first_env, "QUIRE__AUTH__PASSWORD": "second"}
    with served(second_env, "--generate-secret") as base:
        assert _login(base, "admin", "first").status_code == 401
        assert _login(base, "admin", "second").status_code == 200
        # Same kept secret: a token from the first run is still valid.
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/api/users/me", headers=headers).status_code == 200
