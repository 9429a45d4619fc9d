"""``quire search init|check`` and ``quire reindex`` as real processes, on both engines."""

import json

import pytest

from quire.search.engines import engine_for
from tests.helpers.cli import run_quire
from tests.processes import clean_env


@pytest.fixture
def quire_search(search, database_url, tmp_path):
    env = clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
        QUIRE__SEARCH__URL=search.settings.search.url,
        QUIRE__SEARCH__BATCH_SIZE="2",
        QUIRE_CONFIG=str(tmp_path / "none.toml"),
    )

    def run(*args):
        return run_quire(*args, env=env, timeout=180)

    run.data_dir = tmp_path / "data"
    return run


def test_init_reindex_and_check(search, alice, quire_search):
    for number in range(3):
        search.upload(alice, f"memo {number}", [f"shared words {number}"])
    init = quire_search("search", "init")
    assert init.returncode == 0, init.stderr
    assert "up to date" in init.stderr

    backend = engine_for(search.settings)
    backend.clear()
    drifted = quire_search("search", "check")
    assert drifted.returncode == 2, drifted.stderr
    assert "missing: 3, stale: 0, orphaned: 0" in drifted.stderr

    reindex = quire_search("reindex")
    assert reindex.returncode == 0, reindex.stderr
    assert "indexed 3 node(s)" in reindex.stderr
    assert not (quire_search.data_dir / "reindex.checkpoint").exists()
    assert len(search.titles(alice, "shared")) == 3
    clean = quire_search("search", "check")
    assert clean.returncode == 0, clean.stderr
    assert "missing: 0, stale: 0, orphaned: 0" in clean.stderr

    backend.clear()
    repaired = quire_search("search", "check", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "(repaired)" in repaired.stderr
    backend.refresh()
    assert len(search.titles(alice, "shared")) == 3


def test_reindex_resumes_after_its_last_batch(search, alice, quire_search):
    for number in range(5):
        search.upload(alice, f"note {number}", [f"resumable {number}"])
    quire_search.data_dir.mkdir(parents=True, exist_ok=True)
    nothing = quire_search("reindex", "--resume")
    assert nothing.returncode == 1
    assert "nothing to resume" in nothing.stderr

    # An interrupted run left its checkpoint after the batch ending at the third node.
    ids = sorted(item["id"] for item in search.get(alice, "resumable", page_size=10)["items"])
    checkpoint = quire_search.data_dir / "reindex.checkpoint"
    checkpoint.write_text(json.dumps({"url": search.settings.search.url, "after": ids[2]}))
    resumed = quire_search("reindex", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "indexed 2 node(s)" in resumed.stderr
    assert not checkpoint.exists()

    checkpoint.write_text(json.dumps({"url": "tantivy:///elsewhere", "after": ids[0]}))
    other = quire_search("reindex", "--resume")
    assert other.returncode == 1
    assert "was into tantivy:///elsewhere" in other.stderr
