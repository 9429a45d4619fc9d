"""``quire`` starts fast: its help and the workers' health check import only what they use.

Asserted by what a real process imports (``python -X importtime``), not by a time: what made
``quire --help`` take seconds was importing the database layer, OCRmyPDF and the web framework.
"""

import re
import subprocess

import pytest

from quire.cli import COMMANDS
from quire.cli.lazy import load
from tests.helpers.cli import run_quire
from tests.processes import clean_env, free_port

# Each costs a noticeable part of a second to import, and neither command needs any of them.
HEAVY = {"ocrmypdf", "sqlalchemy", "alembic", "fastapi", "pikepdf", "tantivy", "uvicorn"}


def quire(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``quire args``, run by a Python that reports what it imports (``-X importtime``)."""
    return run_quire(*args, env=env, python_options=["-X", "importtime"])


def imported(result: subprocess.CompletedProcess[str]) -> set[str]:
    """The top-level packages the process imported, from its ``-X importtime`` lines."""
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", result.stderr, re.MULTILINE)
    assert names, result.stderr
    return {name.split(".")[0] for name in names}


def test_help_lists_every_command_without_importing_them():
    result = quire("--help")
    assert result.returncode == 0, result.stderr
    listing = " ".join(result.stdout.split())
    for entry in COMMANDS:
        assert f" {entry.name} {entry.help}" in listing
    assert imported(result) & HEAVY == set()
    # Not even the command modules themselves.
    assert "quire.cli.server" not in result.stderr


def test_worker_check_imports_neither_database_nor_tasks(tmp_path):
    # Nothing listens there: the check answers that it cannot reach Redis, and how fast it got
    # there is what this test is about.
    env = clean_env(
        tmp_path,
        QUIRE_CONFIG=str(tmp_path / "none.toml"),
        QUIRE__REDIS__URL=f"redis://127.0.0.1:{free_port()}/0",
    )
    result = quire("worker", "ocr", "--check", env=env)
    assert result.returncode == 1
    assert "cannot reach Redis" in result.stderr
    assert imported(result) & HEAVY == set()


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.name)
def test_listed_help_is_the_commands_own(entry):
    """The help ``quire --help`` shows without importing a command is what the command says."""
    command = load(entry)
    assert command.name == entry.name
    assert command.get_short_help_str(limit=200) == entry.help


@pytest.mark.parametrize(
    ("toml", "reason"),
    [
        ("main = [\n", "quire.toml is not valid TOML: Invalid value (at end of document)"),
        ('[main]\nmax_pages_per_document = "x"\n', "invalid settings: main.max_pages_per_document"),
    ],
    ids=["not TOML", "invalid value"],
)
def test_settings_that_cannot_be_read_end_a_command_with_one_line(tmp_path, toml, reason):
    # Was a traceback of tomllib's or pydantic's, several screens long.
    config = tmp_path / "quire.toml"
    config.write_text(toml)
    result = run_quire("users", "list", env=clean_env(tmp_path, QUIRE_CONFIG=str(config)))
    assert result.returncode == 78  # EX_CONFIG
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: the settings cannot be read: ")
    assert reason in line
    # Help needs no settings.
    assert (
        run_quire("users", "--help", env=clean_env(tmp_path, QUIRE_CONFIG=str(config))).returncode
        == 0
    )
