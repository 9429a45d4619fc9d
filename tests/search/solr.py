"""The Solr the test setup started (scripts/test-services.sh), and a collection for this run."""

import uuid

from tests.services import service_url

_collection = f"quire_test_{uuid.uuid4().hex[:8]}"


def solr_url() -> str:
    base = service_url("QUIRE_TEST_SOLR_URL")
    host = base.removeprefix("http://").removesuffix("/solr").rstrip("/")
    return f"solr://{host}/{_collection}"
