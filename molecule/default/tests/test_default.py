"""The default scenario: one host with PostgreSQL, Redis, Solr, the web service and the workers."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tempfile
import time
import tomllib

import img2pdf
import pytest
from PIL import Image, ImageDraw, ImageFont
from quire_testinfra import podman_hosts

testinfra_hosts = podman_hosts("quire_web")

PORT = 12000
BASE = f"http://127.0.0.1:{PORT}"
# The test values of molecule.yml's inventory: none may show in the services' journal.
SECRETS = (
    "molecule-test-secret-key-not-for-production-0123456789",
    "molecule-admin-password-5f3e",
    "molecule-db-password-8a1c",
    "molecule-redis-password-c27d",
)
# A word the OCR must read off the scan and the search must then find.
WORD = "Quokkaberry"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


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
    # Derived from the inventory's groups: the services on this same host, over loopback.
    assert settings["database"]["url"] == (
        "postgresql://quire:molecule-db-password-8a1c@127.0.0.1:5432/quire"
    )
    assert settings["redis"]["url"] == "redis://:molecule-redis-password-c27d@127.0.0.1:6379/0"
    assert settings["search"]["url"] == "solr://127.0.0.1:8983/quire"


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


@pytest.mark.parametrize(
    ("unit", "user"),
    [
        ("quire-web.service", "quire"),
        ("quire-worker.service", "quire"),
        ("postgresql@15-main.service", "postgres"),
        ("redis-server.service", "redis"),
        ("solr.service", "solr"),
    ],
)
def test_service_runs_as_its_own_user(host, unit, user):
    service = host.service(unit)
    assert service.is_running
    assert service.is_enabled
    pid = int(host.check_output(f"systemctl show -P MainPID {unit}"))
    assert pid > 0
    assert host.check_output(f"ps -o user= -p {pid}").strip() == user
    assert host.check_output(f"ps -o group= -p {pid}").strip() == user


@pytest.mark.parametrize(
    "address",
    [f"tcp://127.0.0.1:{PORT}", "tcp://127.0.0.1:5432", "tcp://127.0.0.1:6379"],
)
def test_services_listen_on_loopback(host, address):
    assert host.socket(address).is_listening


@pytest.mark.parametrize("port", [PORT, 5432, 6379, 8983, 9983])
def test_services_listen_on_loopback_only(host, port):
    listening = host.check_output("ss -Htln")
    addresses = {line.split()[3] for line in listening.splitlines()}
    # (Java's sockets show IPv4 as IPv4-mapped IPv6.)
    assert addresses & {f"127.0.0.1:{port}", f"[::ffff:127.0.0.1]:{port}"}
    assert not addresses & {f"0.0.0.0:{port}", f"*:{port}", f"[::]:{port}"}


def test_solr_has_quires_collection(host):
    status, body = _curl(host, "http://127.0.0.1:8983/solr/admin/collections?action=LIST&wt=json")
    assert status == 200, body
    assert "quire" in json.loads(body)["collections"]


def test_redis_requires_its_password(host):
    assert "NOAUTH" in host.check_output("redis-cli -p 6379 ping 2>&1")
    assert (
        host.check_output("REDISCLI_AUTH=molecule-redis-password-c27d redis-cli -p 6379 ping")
        == "PONG"
    )


def test_the_worker_serves_its_queues(host):
    out = host.run(
        "runuser -u quire -- env QUIRE_CONFIG=/etc/quire/quire.toml "
        "/opt/quire/venv/bin/quire worker --check ocr index previews path_tmpl"
    )
    assert out.rc == 0, out.stdout + out.stderr


def test_no_secret_in_the_journal(host):
    journal = host.check_output(
        "journalctl --no-pager -o cat -u 'quire-*' -u 'postgresql*' -u redis-server.service"
    )
    assert "quire" in journal.lower()
    for secret in SECRETS:
        assert secret not in journal


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


@pytest.mark.parametrize("unit", ["quire-web.service", "quire-worker.service"])
def test_sandbox_exposure_is_at_most_2(host, unit):
    out = host.check_output(f"systemd-analyze security --no-pager {unit} 2>&1")
    match = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d+)", out)
    assert match, out
    assert float(match.group(1)) <= 2.0, out


def _scanned_pdf(word: str) -> bytes:
    """A scan without a text layer: an A5 page at 300 dpi with the word in large letters."""
    picture = Image.new("L", (1748, 2480), 255)
    ImageDraw.Draw(picture).text((150, 300), word, font=ImageFont.truetype(FONT, 110), fill=0)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", dpi=(300, 300))
    data = img2pdf.convert(buffer.getvalue())
    assert isinstance(data, bytes)
    return data


def test_a_scan_is_ocrd_by_the_worker_and_found_by_search(host):
    """Upload, OCR on the ocr queue, indexing into Solr on the index queue (Redis, the worker)."""
    settings = tomllib.loads(host.file("/etc/quire/quire.toml").content_string)
    credentials = {"username": "admin", "password": settings["auth"]["password"]}
    request = ["-X", "POST", "-H", "content-type: application/json", "-d", json.dumps(credentials)]
    status, body = _curl(host, *request, f"{BASE}/api/token")
    assert status == 200, body
    auth = f"authorization: Bearer {json.loads(body)['access_token']}"

    with tempfile.NamedTemporaryFile(suffix=".pdf") as scan:
        scan.write(_scanned_pdf(WORD))
        scan.flush()
        podman = shutil.which("podman")
        assert podman
        target = f"{host.backend.name}:/tmp/molecule-scan.pdf"
        subprocess.run([podman, "cp", scan.name, target], check=True)  # noqa: S603 (our arguments)
    status, body = _curl(
        host,
        "-H",
        auth,
        "-F",
        "file=@/tmp/molecule-scan.pdf;type=application/pdf",
        "-F",
        "title=molecule-scan",
        "-F",
        "lang=eng",
        f"{BASE}/api/documents/upload",
    )
    assert status == 201, body
    document_id = json.loads(body)["id"]

    deadline = time.monotonic() + 240
    ocr = None
    while time.monotonic() < deadline:
        status, body = _curl(
            host, "-H", auth, f"{BASE}/api/documents/ocr-status/?doc_ids={document_id}"
        )
        assert status == 200, body
        ocr = json.loads(body)[0]
        if ocr["status"] in ("SUCCESS", "FAILURE"):
            break
        time.sleep(3)
    assert ocr, "no OCR status"
    assert ocr["status"] == "SUCCESS", ocr

    found: list[str] = []
    while time.monotonic() < deadline:
        status, body = _curl(host, "-H", auth, f"{BASE}/api/search/?q={WORD.lower()}")
        assert status == 200, body
        found = [item["id"] for item in json.loads(body)["items"]]
        if document_id in found:
            break
        time.sleep(3)
    assert document_id in found, body
