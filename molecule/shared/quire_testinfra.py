"""Helpers for the scenarios' testinfra tests.

The tests reach the containers with testinfra's podman backend (``podman://NAME``: ``podman
exec``), not through Ansible: testinfra does not know Ansible's podman connection and would run
every command as an Ansible task (seconds each). The hosts come from the inventory molecule
wrote for the scenario, and so do the group variables the tests compare with.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml


def _inventory_file() -> Path:
    path = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not path or not Path(path).is_file():
        raise RuntimeError(
            "MOLECULE_INVENTORY_FILE is not set: run the tests with `molecule verify`"
        )
    return Path(path)


def _inventory() -> dict:
    return yaml.safe_load(_inventory_file().read_text()) or {}


def group_vars(group: str = "all") -> dict:
    """The group's variables from molecule.yml's provisioner.inventory (molecule writes them
    beside the inventory); {} when it has none."""
    path = _inventory_file().parent / "group_vars" / group
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def _group_hosts(node: dict, group: str, inside: bool) -> list[str]:
    hosts: list[str] = []
    for name, child in (node.get("children") or {}).items():
        hosts += _group_hosts(child or {}, group, inside or name == group)
    if inside:
        hosts += list((node.get("hosts") or {}).keys())
    return hosts


def podman_hosts(group: str = "all") -> list[str]:
    """``podman://NAME`` for each host of the inventory group (all of them by default)."""
    inventory = _inventory()
    names: list[str] = []
    for name, node in inventory.items():
        names += _group_hosts(node or {}, group, name == group)
    return [f"podman://{name}" for name in dict.fromkeys(names)]
