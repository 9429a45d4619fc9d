"""The upgrade scenario: what the client saw while playbooks/upgrade.yml rolled this commit's
release out (side_effect.yml), the documents from before, and what every Quire host runs now."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import testinfra
from quire_checks import secrets_in_ansible_output
from quire_testinfra import group_vars, podman_hosts

SCENARIO_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SCENARIO_DIR))
from client import Client, changed_documents  # noqa: E402 (client.py is beside the tests)

SETTINGS = group_vars("all")
# The inventory's test values of the passwords and keys.
SECRETS = [
    value
    for name, value in SETTINGS.items()
    if name.endswith(("_password", "_secret_key")) and isinstance(value, str) and value
]
REPOSITORY = SCENARIO_DIR.parents[1]
WHEELHOUSE = REPOSITORY / "dist" / "wheelhouse"
# quire.dms.web's own check: "current" when the schema is at the newest migration of the
# installed release.
SCHEMA_STATUS = (REPOSITORY / "roles" / "web" / "files" / "schema-status.py").read_text()


def _hosts(group: str) -> list:
    return [testinfra.get_host(spec) for spec in podman_hosts(group)]


def _report() -> dict:
    return json.loads(Path(SETTINGS["upgrade_report_file"]).read_text())


def _started_at(host, unit: str) -> int:
    """When the unit's main process started, in seconds since the epoch."""
    timestamp = host.check_output(f"systemctl show -P ExecMainStartTimestamp {unit}")
    return int(host.check_output("date -d %s +%%s", timestamp))


def test_no_request_failed_during_the_upgrade():
    report = _report()
    assert report["requests"] > 100
    assert report["failures"] == []


def test_every_web_host_restarted_while_the_client_ran_then_the_workers():
    report = _report()
    web_starts = [_started_at(web, "quire-web.service") for web in _hosts("quire_web")]
    assert len(web_starts) == 2
    assert all(report["started"] < start < report["stopped"] for start in web_starts)
    # One at a time, each healthy before the next: they did not restart together.
    assert abs(web_starts[0] - web_starts[1]) >= 2
    for worker in _hosts("quire_workers"):
        assert _started_at(worker, "quire-worker.service") >= max(web_starts)


def test_documents_from_before_the_upgrade_are_unchanged():
    client = Client(
        SETTINGS["upgrade_base_url"],
        "admin",
        SETTINGS["quire_admin_password"],
        Path(SETTINGS["upgrade_ca_file"]),
    )
    assert changed_documents(client, Path(SETTINGS["upgrade_seed_file"])) == {}
    assert client.failures == []


def test_every_quire_host_runs_this_commits_wheel_on_the_newest_schema():
    (wheel,) = WHEELHOUSE.glob("quire_dms-*.whl")
    checksum = hashlib.sha256(wheel.read_bytes()).hexdigest()
    for host in _hosts("quire_web") + _hosts("quire_workers"):
        installed = host.check_output(f"sha256sum /opt/quire/wheelhouse/{wheel.name}").split()[0]
        # The previous release's wheel has other bytes, even under the same version number.
        assert installed == checksum, host.backend.name
    web = _hosts("quire_web")[0]
    schema = web.check_output(
        "cd /var/lib/quire && QUIRE_CONFIG=/etc/quire/quire.toml"
        " runuser -u quire -- /opt/quire/venv/bin/python -c %s",
        SCHEMA_STATUS,
    )
    assert schema.splitlines()[-1] == "current"


def test_no_secret_in_ansibles_output():
    assert secrets_in_ansible_output(SECRETS) == []
