"""The services `scripts/test-services.sh` starts, as the tests find them."""

from __future__ import annotations

import os

import pytest


def service_url(variable: str) -> str:
    """A test service's URL. Without it, `make test-fast` (QUIRE_TEST_SERVICES=none) skips the
    test, saying why; `make test` fails it: there, a missing service is a broken setup."""
    url = os.environ.get(variable)
    if url:
        return url
    if os.environ.get("QUIRE_TEST_SERVICES") == "none":
        pytest.skip(f"{variable} is not set: `make test-fast` runs without the test services")
    pytest.fail(f"{variable} is not set: start the test services (make test)")
