"""Browsers on other origins calling the API (CORS): ``SECURITY__CORS_ORIGINS``.

Off by default: with no origin listed the app has no CORS at all, and a browser keeps pages of
other origins from reading its answers. Each listed origin (``https://app.example.com``, exact:
scheme, host and port) may call every route with credentials (the bearer token, or the session
cookie), so the list is explicit and never ``*`` (the settings refuse it). Starlette's
middleware does the work; a preflight it refuses (another origin, method or header) is
answered with a JSON body like every other 4xx, and without ``Access-Control-Allow-Origin``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

METHODS = ("GET", "HEAD", "POST", "PATCH", "DELETE")
# Beyond the CORS-safelisted ones (Accept, Content-Type...): what clients of the API send.
HEADERS = ("Authorization",)
# What a page may read of an answer beyond the safelisted ones: a download's file name, the
# wait before a retry.
EXPOSED = ("Content-Disposition", "Retry-After")
PREFLIGHT_CACHE_SECONDS = 600


class Cors(CORSMiddleware):
    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        super().__init__(
            app,
            allow_origins=list(origins),
            allow_methods=METHODS,
            allow_headers=HEADERS,
            allow_credentials=True,
            expose_headers=EXPOSED,
            max_age=PREFLIGHT_CACHE_SECONDS,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        kept = {
            name: value
            for name, value in response.headers.items()
            if name not in {"content-length", "content-type"}
        }
        detail = bytes(response.body).decode()
        return JSONResponse({"detail": detail}, status_code=response.status_code, headers=kept)
