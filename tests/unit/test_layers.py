"""The packages under services/quire import downward only, and `make lint` says so.

`lint-imports` checks the contracts in pyproject.toml ([tool.importlinter]). These tests run it
on the real tree (it passes) and on copies with one upward or sideways import added (it fails),
so the check is known to bite. Core naming a package above it in a string (an
``importlib.import_module`` target), which no import graph shows, is caught by the last test.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
ABOVE_CORE = ("quire.features", "quire.search", "quire.s3", "quire.web", "quire.cli")


def lint_imports(services: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts, on the package tree under ``services``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        cwd=services.parent,
        # The tree to check comes first on the path, before the installed one.
        env={**os.environ, "PYTHONPATH": str(services)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_tree_keeps_its_layers() -> None:
    result = lint_imports(REPO / "services")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        # core reaching up for a feature, for the wiring, for the web app
        ("core/reach.py", "import quire.search.indexer\n", "Core imports nothing"),
        ("core/reach.py", "from quire.features import register_features\n", "Core imports"),
        ("core/reach.py", "from quire.web import app\n", "Layers"),
        # one feature using another: they are independent
        ("search/reach.py", "from quire.s3 import bucket\n", "Layers"),
        # a feature using the command line
        ("s3/reach.py", "import quire.cli.common\n", "Layers"),
        # a new package nobody gave a place in the layers
        ("extra/__init__.py", "", "Layers"),
    ],
)
def test_an_upward_import_fails_the_check(
    tmp_path: Path, module: str, source: str, broken: str
) -> None:
    services = tmp_path / "services"
    shutil.copytree(
        REPO / "services" / "quire",
        services / "quire",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    target = services / "quire" / module
    target.parent.mkdir(exist_ok=True)
    target.write_text(source)
    result = lint_imports(services)
    assert result.returncode != 0, result.stdout
    assert f"{broken}" in result.stdout
    assert "BROKEN" in result.stdout
    if source:
        # The report names the offending module.
        assert "quire." + module.removesuffix(".py").replace("/", ".") in result.stdout


def _strings_in_code(tree: ast.AST) -> list[ast.Constant]:
    """String constants that are not docstrings (those may talk about the packages above)."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_core_names_no_package_above_it_in_code() -> None:
    found = []
    for path in sorted((REPO / "services" / "quire" / "core").rglob("*.py")):
        for node in _strings_in_code(ast.parse(path.read_text(), str(path))):
            value = str(node.value)
            if any(value == name or value.startswith(name + ".") for name in ABOVE_CORE):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {value!r}")
    assert found == []
