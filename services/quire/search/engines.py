"""One search backend per process and ``SEARCH__URL``, opened (and its schema made) once."""

from __future__ import annotations

import threading

from quire.core.config import Settings
from quire.search.backend import SearchBackend, default_url, open_backend

_backends: dict[str, SearchBackend] = {}
_lock = threading.Lock()


def engine_for(settings: Settings) -> SearchBackend:
    url = settings.search.url or default_url(settings)
    with _lock:
        backend = _backends.get(url)
        if backend is None:
            backend = open_backend(settings)
            _backends[url] = backend
        return backend


def forget_engines() -> None:
    """Close every backend (tests and process shutdown)."""
    with _lock:
        for backend in _backends.values():
            backend.close()
        _backends.clear()
