"""The Solr the test setup started (scripts/test-services.sh), and a collection for this run."""

import os
import uuid

import pytest

_collection = f"quire_test_{uuid.uuid4().hex[:8]}"


def solr_url() -> str:
    base = os.environ.get("QUIRE_TEST_SOLR_URL")
    if not base:
        pytest.fail("QUIRE_TEST_SOLR_URL is not set: start the test services (make test)")
    host = base.removeprefix("http://").removesuffix("/solr").rstrip("/")
    return f"solr://{host}/{_collection}"
