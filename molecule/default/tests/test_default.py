"""The default scenario: one host with quire.dms.common and quire.dms.web (SQLite)."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from quire_testinfra import podman_hosts

testinfra_hosts = podman_hosts("quire_web")

PORT = 12000
BASE = f"http://127.0.0.1:{PORT}"


def _curl(host, *args: str) -> tuple[int, str]:
    """(HTTP status, body) of a request made inside the container."""
    command = "curl -sS -m 20 -w %s" + " %s" * len(args)
    body, _, status = host.check_output(command, "\\n%{http_code}", *args).rpartition("\n")
    return int(status), body


def test_quire_user_is_a_system_account_without_login(host):
    user = host.user("quire")
    assert user.exists
    assert user.group == "quire"
    assert user.home == "/var/lib/quire"
    assert user.shell == "/usr/sbin/nologin"
    assert user.uid < 1000


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/var/lib/quire", "quire", "quire", 0o750),
        ("/var/lib/quire/media", "quire", "quire", 0o750),
        ("/etc/quire", "root", "quire", 0o750),
        ("/opt/quire/venv", "root", "root", 0o755),
    ],
)
def test_directories(host, path, owner, group, mode):
    directory = host.file(path)
    assert directory.is_directory
    assert (directory.user, directory.group, directory.mode) == (owner, group, mode)


def test_settings_file_is_0640_root_quire_and_has_the_settings(host):
    config = host.file("/etc/quire/quire.toml")
    assert config.is_file
    assert (config.user, config.group, config.mode) == ("root", "quire", 0o640)
    settings = tomllib.loads(config.content_string)
    assert settings["main"]["data_dir"] == "/var/lib/quire"
    assert settings["main"]["media_root"] == "/var/lib/quire/media"
    assert len(settings["security"]["secret_key"]) >= 32
    assert settings["ocr"]["lang_codes"] == "eng"
    assert settings["ocr"]["automatic"] is True
    # SQLite and the embedded index: no URLs written.
    assert "database" not in settings
    assert "search" not in settings


def test_quire_is_installed_in_the_virtualenv(host):
    version = host.check_output(
        "/opt/quire/venv/bin/python -c 'import quire; print(quire.__version__)'"
    )
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", version)
    # The database drivers (quire_extras) came with it.
    host.run_expect([0], "/opt/quire/venv/bin/python -c 'import psycopg, pymysql'")


def test_ocr_languages_are_installed(host):
    assert host.package("tesseract-ocr-eng").is_installed
    assert host.package("ghostscript").is_installed
    langs = host.check_output("tesseract --list-langs 2>&1")
    assert "eng" in langs.split()


def test_web_service_runs_as_quire(host):
    service = host.service("quire-web.service")
    assert service.is_running
    assert service.is_enabled
    pid = int(host.check_output("systemctl show -P MainPID quire-web.service"))
    assert pid > 0
    assert host.check_output(f"ps -o user= -p {pid}").strip() == "quire"
    assert host.check_output(f"ps -o group= -p {pid}").strip() == "quire"


def test_web_service_listens_on_its_port(host):
    assert host.socket(f"tcp://127.0.0.1:{PORT}").is_listening


def test_probe_answers_200(host):
    status, _ = _curl(host, f"{BASE}/api/probe/")
    assert status == 200


def test_admin_from_the_settings_file_can_sign_in(host):
    settings = tomllib.loads(host.file("/etc/quire/quire.toml").content_string)
    credentials = {
        "username": settings["auth"]["username"],
        "password": settings["auth"]["password"],
    }
    request = ["-X", "POST", "-H", "content-type: application/json", "-d", json.dumps(credentials)]
    status, body = _curl(host, *request, f"{BASE}/api/token")
    assert status == 200, body
    assert json.loads(body)["access_token"]


def test_web_service_sandbox_exposure_is_at_most_2(host):
    out = host.check_output("systemd-analyze security --no-pager quire-web.service 2>&1")
    match = re.search(r"Overall exposure level for quire-web\.service: (\d+\.\d+)", out)
    assert match, out
    assert float(match.group(1)) <= 2.0, out
