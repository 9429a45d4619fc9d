"""Core knows the feature packages only from what they register at start-up.

Each case runs in a fresh interpreter: the test process itself has registered everything
(tests/conftest.py), as every entry point does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SETTINGS = """
from quire.core.config import Settings
settings = Settings.model_validate({
    "main": {"data_dir": sys.argv[1]},
    "storage": {"backend": "s3"},
    "s3": {"bucket_name": "quire-test", "endpoint_url": "http://127.0.0.1:9"},
})
"""


def run(script: str, tmp_path: Path) -> dict[str, object]:
    """Run ``script`` (which prints one JSON value) in a new interpreter on this tree."""
    result = subprocess.run(
        [sys.executable, "-c", "import json, sys\n" + textwrap.dedent(script), str(tmp_path)],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("QUIRE", "PAPERMERGE"))},
            "PYTHONPATH": os.pathsep.join([str(REPO / "services"), str(REPO)]),
            "QUIRE_CONFIG": str(tmp_path / "absent.toml"),
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    value: dict[str, object] = json.loads(result.stdout)
    return value


def test_core_alone_knows_only_its_own_tasks_and_local_storage(tmp_path: Path) -> None:
    result = run(
        SETTINGS
        + """
from quire.core.storage import UnknownStorageBackend, open_storage
from quire.core.tasks.registry import load_tasks, spec
FEATURES = ("quire.s3", "quire.search", "quire.path_templates")
try:
    open_storage(settings)
    error = None
except UnknownStorageBackend as exc:
    error = str(exc)
try:
    spec("index")
    missing = None
except LookupError as exc:
    missing = str(exc)
print(json.dumps({
    "tasks": sorted(load_tasks()),
    "storage_error": error,
    "index_error": missing,
    "features_imported": sorted(m for m in sys.modules if m.startswith(FEATURES)),
}))
""",
        tmp_path,
    )
    assert result["tasks"] == [
        "discard_files",
        "empty_trash",
        "noop",
        "ocr",
        "previews",
        "prune_audit_log",
        "prune_events",
    ]
    assert result["storage_error"] == (
        "STORAGE__BACKEND=s3 is not registered; registered: none "
        "(its package registers it at start-up)"
    )
    assert str(result["index_error"]).startswith(
        "no task named 'index'; known: discard_files, empty_trash, noop, ocr,"
    )
    assert result["features_imported"] == []


def test_register_features_wires_every_feature_once_or_twice(tmp_path: Path) -> None:
    result = run(
        SETTINGS
        + """
from quire.features import register_features
register_features()
# Light: the feature packages' heavy parts are imported when first needed.
light = sorted(
    m for m in sys.modules if m.startswith(("quire.s3.", "quire.search.", "quire.path_templates."))
)
register_features()  # every entry point may call it; a second call changes nothing
from quire.core.storage import open_storage
from quire.core.tasks.registry import load_tasks, spec
storage = open_storage(settings)
print(json.dumps({
    "light": light,
    "tasks": {name: task.queue for name, task in sorted(load_tasks().items())},
    "storage": type(storage).__module__ + "." + type(storage).__name__,
    "in_bucket": storage.in_bucket,
}))
""",
        tmp_path,
    )
    assert result["light"] == []
    assert result["tasks"] == {
        "discard_files": "index",
        "empty_trash": "index",
        "file_by_template": "path_tmpl",
        "index": "index",
        "noop": "previews",
        "ocr": "ocr",
        "previews": "previews",
        "prune_audit_log": "index",
        "prune_events": "index",
        "refile_type": "path_tmpl",
        "reindex": "index",
        "s3_sync": "s3",
    }
    assert result["storage"] == "quire.s3.storage.S3Storage"
    assert result["in_bucket"] is True
