"""Every file the web UI serves or reads (templates, static files, catalogs) is in the wheel:
pyproject's package-data names it, or an installed Quire would answer 500s and 404s."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UI = REPO / "services" / "quire" / "web" / "ui"


def _globbed(name: str, pattern: str) -> bool:
    """Whether setuptools' glob takes the file: fnmatch's ``*`` crosses ``/``, a glob's does not
    (``templates/*.html`` leaves out ``templates/admin/``)."""
    return fnmatch.fnmatch(name, pattern) and name.count("/") == pattern.count("/")


def test_package_data_covers_the_ui() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["quire"]
    package_root = REPO / "services" / "quire"
    # babel.cfg and the .pot are for `make messages` in a checkout, not for the server.
    wanted = [
        path.relative_to(package_root).as_posix()
        for path in UI.rglob("*")
        if path.is_file()
        and path.suffix not in {".py", ".pyc", ".pot", ".cfg"}
        and "__pycache__" not in path.parts
    ]
    assert wanted
    missing = [name for name in wanted if not any(_globbed(name, pattern) for pattern in patterns)]
    assert not missing, f"add to [tool.setuptools.package-data] in pyproject.toml: {missing}"
