"""Fixtures for tests that run real Quire and Redis processes."""

import json

import pytest

from tests.processes import clean_env
from tests.tasks.stack import PASSWORD, PREVIEWS_TIMEOUT


@pytest.fixture
def quire_env(database_url, db, tmp_path):
    """Settings shared by every process of one test: one database, one media root."""
    return clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
        QUIRE__SECURITY__SECRET_KEY="fault-tests-" + "k" * 40,
        QUIRE__AUTH__PASSWORD=PASSWORD,
        QUIRE__TASKS__SWEEP_INTERVAL_SECONDS="0.5",
        QUIRE__TASKS__REDISPATCH_AFTER_SECONDS="3",
        QUIRE__TASKS__TIMEOUTS=json.dumps({"previews": PREVIEWS_TIMEOUT}),
        # These tests are about previews; automatic OCR would add tasks of its own.
        QUIRE__OCR__AUTOMATIC="false",
    )
