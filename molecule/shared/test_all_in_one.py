"""The tests of a scenario whose one host runs every service of playbooks/site.yml: the database
(PostgreSQL or MariaDB, by the inventory's quire_database_engine), Redis, Solr, the web service and
the workers, down to a scan uploaded, OCR'd by the worker and found by a search; through nginx
when the host is in quire_lb (quire.dms.loadbalancer, HTTP), else straight to the web service.

A scenario runs them besides its own tests/ with molecule.yml's
``verifier.additional_files_or_dirs: [../../shared/test_all_in_one.py]``; what they expect (the
secrets, the database, the queues) comes from the scenario's inventory.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
import tomllib

import pytest
from quire_checks import (
    curl,
    listening_addresses,
    listens_on_loopback_only,
    main_process_owner,
    sandbox_exposure,
    scanned_pdf,
    secrets_in_ansible_output,
)
from quire_testinfra import group_vars, podman_hosts

testinfra_hosts = podman_hosts("quire_web")

PORT = 12000
# nginx on the same host (quire.dms.loadbalancer), when the scenario has it.
LOAD_BALANCED = bool(podman_hosts("quire_lb"))
BASE = "http://127.0.0.1" if LOAD_BALANCED else f"http://127.0.0.1:{PORT}"
SETTINGS = group_vars("all")
# The inventory's test values of the passwords and the key: none may show in a journal.
SECRETS = [
    value
    for name, value in SETTINGS.items()
    if name.endswith(("_password", "_secret_key")) and isinstance(value, str) and value
]
ENGINE = SETTINGS.get("quire_database_engine", "postgresql")
DATABASE = {
    "postgresql": {
        "scheme": "postgresql",
        "port": 5432,
        "unit": "postgresql@15-main.service",
        "user": "postgres",
    },
    "mariadb": {"scheme": "mysql", "port": 3306, "unit": "mariadb.service", "user": "mysql"},
}[ENGINE]
QUEUES = group_vars("quire_workers").get(
    "worker_queues", ["ocr", "index", "previews", "path_tmpl", "s3"]
)
# A word the OCR must read off the scan and the search must then find.
WORD = "Quokkaberry"


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
        f"{DATABASE['scheme']}://quire:{SETTINGS['quire_database_password']}"
        f"@127.0.0.1:{DATABASE['port']}/quire"
    )
    assert settings["redis"]["url"] == (
        f"redis://:{SETTINGS['quire_redis_password']}@127.0.0.1:6379/0"
    )
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
        (DATABASE["unit"], DATABASE["user"]),
        ("redis-server.service", "redis"),
        ("solr.service", "solr"),
    ],
)
def test_service_runs_as_its_own_user(host, unit, user):
    service = host.service(unit)
    assert service.is_running
    assert service.is_enabled
    assert main_process_owner(host, unit) == (user, user)


@pytest.mark.parametrize("port", [PORT, DATABASE["port"], 6379, 8983])
def test_services_listen_on_loopback_only(host, port):
    assert listens_on_loopback_only(host, port)


@pytest.mark.skipif(not LOAD_BALANCED, reason="no quire_lb host")
def test_nginx_serves_quire_on_port_80_and_trusts_loopback_only(host):
    assert host.service("nginx.service").is_running
    assert {"0.0.0.0:80", "[::]:80"} <= listening_addresses(host)
    status, body = curl(host, "http://127.0.0.1/healthz")
    assert (status, body.strip()) == (200, "ok")
    status, _ = curl(host, "http://127.0.0.1/api/probe/")
    assert status == 200
    # nginx reaches the web service over loopback: the only proxy Quire believes.
    settings = tomllib.loads(host.file("/etc/quire/quire.toml").content_string)
    assert settings["security"]["trusted_proxies"] == ["127.0.0.1"]


def test_solr_has_quires_collection(host):
    status, body = curl(host, "http://127.0.0.1:8983/solr/admin/collections?action=LIST&wt=json")
    assert status == 200, body
    assert "quire" in json.loads(body)["collections"]


def test_redis_requires_its_password(host):
    assert "NOAUTH" in host.check_output("redis-cli -p 6379 ping 2>&1")
    password = SETTINGS["quire_redis_password"]
    assert host.check_output(f"REDISCLI_AUTH={password} redis-cli -p 6379 ping") == "PONG"


def test_the_worker_serves_its_queues(host):
    out = host.run(
        "runuser -u quire -- env QUIRE_CONFIG=/etc/quire/quire.toml "
        "/opt/quire/venv/bin/quire worker --check " + " ".join(QUEUES)
    )
    assert out.rc == 0, out.stdout + out.stderr


def test_no_secret_in_the_journal(host):
    journal = host.check_output(
        "journalctl --no-pager -o cat -u 'quire-*' -u 'postgresql*' -u 'mariadb*' "
        "-u redis-server.service -u solr.service -u zookeeper.service"
    )
    assert "quire" in journal.lower()
    assert SECRETS
    for secret in SECRETS:
        assert secret not in journal


def test_no_secret_in_ansibles_output():
    assert secrets_in_ansible_output(SECRETS) == []


def test_probe_answers_200(host):
    status, _ = curl(host, f"{BASE}/api/probe/")
    assert status == 200


def _sign_in(host) -> str:
    """The authorization header of the admin from the settings file."""
    settings = tomllib.loads(host.file("/etc/quire/quire.toml").content_string)
    credentials = {
        "username": settings["auth"]["username"],
        "password": settings["auth"]["password"],
    }
    request = ["-X", "POST", "-H", "content-type: application/json", "-d", json.dumps(credentials)]
    status, body = curl(host, *request, f"{BASE}/api/token")
    assert status == 200, body
    token = json.loads(body)["access_token"]
    assert token
    return f"authorization: Bearer {token}"


def test_admin_from_the_settings_file_can_sign_in(host):
    assert _sign_in(host)


@pytest.mark.parametrize("unit", ["quire-web.service", "quire-worker.service"])
def test_sandbox_exposure_is_at_most_2(host, unit):
    assert sandbox_exposure(host, unit) <= 2.0


def test_a_scan_is_ocrd_by_the_worker_and_found_by_search(host):
    """Upload, OCR on the ocr queue, indexing into Solr on the index queue (Redis, the worker)."""
    auth = _sign_in(host)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as scan:
        scan.write(scanned_pdf(WORD))
        scan.flush()
        podman = shutil.which("podman")
        assert podman
        target = f"{host.backend.name}:/tmp/molecule-scan.pdf"
        subprocess.run([podman, "cp", scan.name, target], check=True)  # noqa: S603 (our arguments)
    status, body = curl(
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
        status, body = curl(
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
        status, body = curl(host, "-H", auth, f"{BASE}/api/search/?q={WORD.lower()}")
        assert status == 200, body
        found = [item["id"] for item in json.loads(body)["items"]]
        if document_id in found:
            break
        time.sleep(3)
    assert document_id in found, body
