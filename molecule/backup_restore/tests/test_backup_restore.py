"""The backup_restore scenario, after the restore onto a fresh host: what was there is back.

seed.yml recorded the state of the first host before backup.yml ran (before.json in the
ephemeral directory); these tests compare the restored host's with it, look at the backup on
the controller, and check what the restore must not have changed (owners, modes, secrets).
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import testinfra
from quire_checks import secrets_in_ansible_output
from quire_state import BASE, MEDIA_ROOT, curl, state, token
from quire_testinfra import podman_hosts

testinfra_hosts = podman_hosts("quire_web")

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
# The word seed.yml's scan carries, read by the OCR before the backup.
WORD = "Wombatflux"
SECRETS = (
    "molecule-test-secret-key-not-for-production-0123456789",
    "molecule-admin-password-5f3e",
    "molecule-db-password-8a1c",
    "molecule-redis-password-c27d",
    "molecule-s3-secret-key-41d7",
)
# S3Proxy's filesystem blob store on the s3 container: an object is a file under the bucket's
# directory, named by its key.
BUCKET_DIR = "/var/lib/s3proxy/quire-mirror"
QUIRE = "runuser -u quire -- env QUIRE_CONFIG=/etc/quire/quire.toml /opt/quire/venv/bin/quire"


@pytest.fixture(scope="module")
def before() -> dict:
    return json.loads((EPHEMERAL / "before.json").read_text())


@pytest.fixture(scope="module")
def after(host) -> dict:
    return state(host)


@pytest.fixture(scope="module")
def backup() -> Path:
    """The backup restore.yml restored: the newest."""
    return sorted((EPHEMERAL / "backups").iterdir())[-1]


def test_the_seeded_state_has_what_the_scenario_checks(before):
    titles = sorted(node["title"] for node in before["nodes"].values())
    assert titles == ["2024", "Invoice 117", "Invoices", "Letter", "Letters", "Scanned memo"]
    assert sorted(tag["name"] for tag in before["tags"]) == [
        "finance",
        "important",
        "invoice",
        "letter",
        "memo",
        "paid",
    ]
    scan = next(node for node in before["nodes"].values() if node["title"] == "Scanned memo")
    # The OCR made a second version, whose page has the word.
    assert len(scan["versions"]) == 2
    assert WORD.lower() in scan["versions"][-1]["pages"][0]["text"].lower()
    assert any(name.startswith("docvers/") for name in before["files"])


def test_folders_and_documents_are_restored(before, after):
    assert sorted(after["nodes"]) == sorted(before["nodes"])
    for node_id, node in before["nodes"].items():
        assert after["nodes"][node_id] == node, node["title"]


def test_tags_are_restored(before, after):
    assert after["tags"] == before["tags"]


def test_every_file_is_restored_with_its_checksum(before, after):
    assert sorted(after["files"]) == sorted(before["files"])
    differing = [name for name, digest in before["files"].items() if after["files"][name] != digest]
    assert not differing


def test_the_backup_lists_every_file_with_its_checksum(before, backup):
    listed = {}
    for line in (backup / "media.sha256").read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    assert listed == before["files"]


def test_the_backup_is_readable_by_its_owner_only(backup):
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert stat.S_IMODE(backup.parent.stat().st_mode) == 0o700
    names = sorted(path.name for path in backup.iterdir())
    assert names == ["backup.json", "database.pgdump", "media.sha256", "media.tar"]
    for path in backup.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_the_backup_describes_itself(before, backup):
    description = json.loads((backup / "backup.json").read_text())
    assert description["database"] == "postgresql"
    assert description["storage_backend"] == "local"
    assert description["documents"] == 3
    assert sorted(description["files"]) == ["database.pgdump", "media.sha256", "media.tar"]
    assert description["created"] == backup.name


def test_the_search_index_was_rebuilt(host):
    """The embedded index is not in the backup: the restore rebuilt it from the database."""
    status, body = curl(
        host,
        "-H",
        f"authorization: Bearer {token(host)}",
        f"{BASE}/api/search/?q={quote(WORD.lower())}",
    )
    assert status == 200, body
    assert [item["title"] for item in json.loads(body)["items"]] == ["Scanned memo"]


def test_restored_files_belong_to_quire_and_no_one_else(host):
    strangers = host.check_output(
        f"find {MEDIA_ROOT} \\( ! -user quire -o ! -group quire -o -perm /o=rwx \\) -print"
    )
    assert strangers == ""
    media = host.file(MEDIA_ROOT)
    assert (media.user, media.group, media.mode) == ("quire", "quire", 0o750)


@pytest.mark.parametrize("unit", ["quire-web.service", "quire-worker.service"])
def test_services_run_again(host, unit):
    assert host.service(unit).is_running


def test_the_s3_sync_timer_runs_again(host):
    timer = host.service("quire-s3-sync.timer")
    assert timer.is_running
    assert timer.is_enabled
    assert host.check_output("systemctl show -P Persistent quire-s3-sync.timer") == "yes"


def _monotonic(host, unit: str, field: str) -> int:
    return int(host.check_output(f"systemctl show -P {field} {unit}") or 0)


def test_the_s3_sync_timer_mirrored_the_restored_files_to_the_new_bucket(host, before):
    """The s3 container is new too: only a reconciliation after the restore fills its bucket."""
    restored = _monotonic(host, "quire-web.service", "ActiveEnterTimestampMonotonic")
    deadline = time.monotonic() + 240
    while _monotonic(host, "quire-s3-sync.service", "ExecMainExitTimestampMonotonic") <= restored:
        assert time.monotonic() < deadline, "quire-s3-sync.service did not run after the restore"
        time.sleep(5)
    assert host.check_output("systemctl show -P Result quire-s3-sync.service") == "success"
    # Nothing differs any more between the media root and the bucket, contents included.
    out = host.run(f"{QUIRE} s3 sync --dry-run --verify")
    assert out.rc == 0, out.stdout + out.stderr
    s3 = testinfra.get_host(podman_hosts("s3proxy")[0])
    listing = s3.check_output(
        f"cd {BUCKET_DIR} && find . -type f -print0 | sort -z | xargs -0r sha256sum"
    )
    objects = {}
    for line in listing.splitlines():
        digest, _, name = line.partition("  ")
        objects[name.removeprefix("./")] = digest
    assert objects == before["files"]


def test_the_s3_sync_service_is_sandboxed(host):
    unit = "quire-s3-sync.service"
    out = host.check_output(f"systemd-analyze security --no-pager {unit} 2>&1")
    match = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d+)", out)
    assert match, out
    assert float(match.group(1)) <= 2.0, out
    assert host.check_output(f"systemctl show -P User {unit}") == "quire"
    # A mirror from a database server writes nothing: no path is writable.
    assert host.check_output(f"systemctl show -P ReadWritePaths {unit}") == ""


def test_no_secret_in_the_journal(host):
    journal = host.check_output("journalctl --no-pager -o cat -u 'quire-*' -u 'postgresql*'")
    assert "checked" in journal  # quire-s3-sync's runs
    for secret in SECRETS:
        assert secret not in journal


def test_no_secret_in_ansibles_output():
    """Of every step: converge, backup, destroy, converge, restore, idempotence."""
    assert secrets_in_ansible_output(SECRETS) == []
