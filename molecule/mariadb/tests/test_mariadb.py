"""The mariadb scenario: what it has besides molecule/shared/test_all_in_one.py (molecule.yml's
verifier.additional_files_or_dirs): Quire on MariaDB, and Solr on the ZooKeeper of
quire.dms.zookeeper.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from quire_checks import (
    curl,
    listening_addresses,
    listens_on_loopback_only,
    main_process_owner,
    sandbox_exposure,
)
from quire_testinfra import group_vars, podman_hosts

testinfra_hosts = podman_hosts("quire_db")

PASSWORD = group_vars("all")["mariadb_quire_password"]
# The role's own health check, run with the container's python3.
FOUR_LETTER_WORD = (
    Path(__file__).resolve().parents[3] / "roles" / "zookeeper" / "files" / "zookeeper-4lw.py"
).read_text()


def _sql(host, query: str) -> list[list[str]]:
    """The rows of a query run as MariaDB's root (over its Unix socket)."""
    out = host.check_output("mariadb --batch --skip-column-names -e %s", query)
    return [line.split("\t") for line in out.splitlines()]


def _ask_zookeeper(host, word: str) -> str:
    return host.check_output("python3 -c %s 127.0.0.1 2181 %s", FOUR_LETTER_WORD, word)


def test_quire_uses_mariadb_and_its_schema_is_there(host):
    settings = tomllib.loads(host.file("/etc/quire/quire.toml").content_string)
    assert settings["database"]["url"].startswith("mysql://quire:")
    # The migrations ran on it.
    assert _sql(host, "SELECT COUNT(*) FROM quire.alembic_version") == [["1"]]


def test_quires_database_is_utf8mb4(host):
    rows = _sql(
        host,
        "SELECT default_character_set_name, default_collation_name "
        "FROM information_schema.schemata WHERE schema_name = 'quire'",
    )
    assert rows == [["utf8mb4", "utf8mb4_unicode_ci"]]


def test_quires_account_is_for_loopback_only_with_quires_database_only(host):
    hosts = {row[0] for row in _sql(host, "SELECT host FROM mysql.user WHERE user = 'quire'")}
    assert hosts == {"127.0.0.1", "::1"}
    grants = host.check_output("mariadb -e %s", "SHOW GRANTS FOR 'quire'@'127.0.0.1'")
    assert "GRANT ALL PRIVILEGES ON `quire`.* TO `quire`@`127.0.0.1`" in grants
    assert "GRANT USAGE ON *.* TO `quire`@`127.0.0.1`" in grants


def test_quires_account_needs_its_password(host):
    login = "mariadb -h 127.0.0.1 -u quire --password=%s -e 'SELECT 1' quire"
    assert host.run(login, PASSWORD).rc == 0
    assert host.run(login, "not-" + PASSWORD).rc != 0


def test_mariadb_config_file(host):
    config = host.file("/etc/mysql/mariadb.conf.d/60-quire.cnf")
    assert (config.user, config.group, config.mode) == ("root", "root", 0o644)
    assert "bind-address = 127.0.0.1\n" in config.content_string


def test_zookeeper_runs_as_its_own_user(host):
    service = host.service("zookeeper.service")
    assert service.is_running
    assert service.is_enabled
    assert main_process_owner(host, "zookeeper.service") == ("zookeeper", "zookeeper")


def test_zookeeper_listens_on_loopback_only_without_admin_server_or_quorum_ports(host):
    assert listens_on_loopback_only(host, 2181)
    ports = {address.rpartition(":")[2] for address in listening_addresses(host)}
    # The HTTP admin server is off; one server alone runs standalone, without quorum ports.
    assert not ports & {"8080", "2888", "3888"}


def test_zookeeper_answers_ruok_and_srvr(host):
    assert _ask_zookeeper(host, "ruok") == "imok"
    assert "Mode: standalone" in _ask_zookeeper(host, "srvr")


@pytest.mark.parametrize("word", ["conf", "envi", "dump"])
def test_zookeeper_refuses_the_words_not_on_its_list(host, word):
    assert "is not executed because it is not in the whitelist" in _ask_zookeeper(host, word)


def test_zookeeper_files(host):
    config = host.file("/etc/zookeeper/zoo.cfg")
    assert (config.user, config.group, config.mode) == ("root", "zookeeper", 0o640)
    assert "4lw.commands.whitelist=ruok,mntr,srvr\n" in config.content_string
    assert "server." not in config.content_string
    assert host.file("/var/lib/zookeeper/myid").content_string.strip() == "1"
    data = host.file("/var/lib/zookeeper")
    assert (data.user, data.group, data.mode) == ("zookeeper", "zookeeper", 0o750)


def test_zookeeper_sandbox_exposure(host):
    # As solr.service's: the JVM needs writable executable memory.
    assert sandbox_exposure(host, "zookeeper.service") <= 2.0


def test_solr_uses_zookeeper_with_the_solr_chroot(host):
    status, body = curl(host, "http://127.0.0.1:8983/solr/admin/info/system?wt=json")
    assert status == 200, body
    assert json.loads(body)["zkHost"] == "127.0.0.1:2181/solr"
    # Not its embedded one.
    assert not {address for address in listening_addresses(host) if address.endswith(":9983")}
