"""Rendering the UI's pages: Jinja2 with autoescaping, one environment per language, and the
security headers every UI response carries.

Every user-supplied string reaches a page through autoescaping (titles, tag names, usernames),
and no page has an inline script or style: the Content-Security-Policy forbids both, so even an
escaping bug could not run a script. Colours that come from data (tag chips) are data
attributes that an ES module applies through the CSSOM, which the policy allows.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from quire import __version__
from quire.core.config import Settings
from quire.web.session import csrf_token
from quire.web.ui.admin.sections import admin_sections
from quire.web.ui.i18n import LANGUAGES, request_language, translations

TEMPLATES = Path(__file__).parent / "templates"

# 'self' only, no 'unsafe-inline' anywhere; nothing may frame the UI or post forms elsewhere.
_CSP = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}


def content_security_policy(settings: Settings) -> str:
    policy = dict(_CSP)
    # MAIN__FILE_SERVER=s3: images are redirected to signed bucket (or CloudFront) URLs.
    if settings.main.file_server == "s3":
        extra = [f"https://{settings.main.cf_domain}"] if settings.main.cf_domain else []
        for url in (settings.s3.public_endpoint_url, settings.s3.endpoint_url):
            if url:
                extra.append(url.rstrip("/"))
        policy["img-src"] += "".join(f" {origin}" for origin in extra) or " https:"
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def security_headers(settings: Settings) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        # Pages show one user's documents: never kept by a shared cache, nor by the browser
        # for the back button after sign-out.
        "Cache-Control": "no-store",
    }


@cache
def environment(language: str) -> Environment:
    """One environment per language: the catalog installed once, safe across threads."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(version=__version__, languages=LANGUAGES, admin_sections=admin_sections)
    # Dates in UTC here; the page's ES module shows them in the reader's time zone.
    env.filters["datetime"] = partial(_datetime, language)
    env.filters["filesize"] = partial(_file_size, language)
    return env


def _datetime(language: str, value: datetime) -> str:
    return format_datetime(value, "medium", tzinfo=None, locale=language)


def _file_size(language: str, size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{format_decimal(round(value, 1), locale=language)} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    language = request_language(request)
    page = environment(language).get_template(template)
    values = {"request": request, "language": language, "csrf": csrf_token(request, settings)}
    values.update(context)
    html = page.render(values)
    return HTMLResponse(html, status_code=status_code, headers=security_headers(settings))
