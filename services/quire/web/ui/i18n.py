"""The UI's languages: gettext catalogs (Babel's .po files, compiled in memory at first use) and
which one a request gets.

The .po files are the only form kept in the repository: compiling them when the process first
needs them (milliseconds) means no build step, no binary .mo file to forget, and the same
behaviour in a checkout, a wheel and CI. ``make messages`` extracts the strings and updates
the catalogs (``babel.cfg``); ``tests/unit/test_ui_catalogs.py`` fails on an untranslated one.

The language: the user's choice (the ``quire_lang`` cookie the language menu sets), else the
browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import Request

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "en"
# Each language's name as its speakers write it, for the language menu.
LANGUAGES = {"en": "English", "de": "Deutsch"}
LANGUAGE_COOKIE = "quire_lang"


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The language's catalog; English is the source text itself."""
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po_file.is_file():
        return gettext.NullTranslations()
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _accepted(header: str) -> list[str]:
    """Accept-Language's primary language tags, best first (``de-CH;q=0.8`` -> ``de``)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(weighted)]


def request_language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for tag in _accepted(request.headers.get("accept-language", "")[:500]):
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE
