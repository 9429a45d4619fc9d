"""The default scenario: one host with PostgreSQL, Redis, Solr, the web service and the workers.

Most of its tests are molecule/shared/test_all_in_one.py (molecule.yml's
verifier.additional_files_or_dirs); here what only this scenario has.
"""

from __future__ import annotations

from quire_checks import listens_on_loopback_only
from quire_testinfra import podman_hosts

testinfra_hosts = podman_hosts("quire_solr")


def test_solrs_embedded_zookeeper_listens_on_loopback_only(host):
    # Without a quire_zookeeper host, Solr runs its own ZooKeeper (solr_zk_port).
    assert listens_on_loopback_only(host, 9983)
