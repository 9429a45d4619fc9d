"""The web UI's catalogs: every string the templates translate has a German translation with
the same placeholders, and the catalog compiles as the server compiles it at start."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from quire.web.ui import i18n

UI = Path(i18n.__file__).parent
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _template_messages() -> set[str]:
    found = extract_from_dir(
        str(UI),
        method_map=[("templates/**.html", "jinja2")],
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    )
    messages = set()
    for _file, _line, message, _comments, _context in found:
        messages.add(message[0] if isinstance(message, tuple) else message)
    return messages


def test_every_template_string_is_translated_into_german() -> None:
    with (UI / "locale" / "de" / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale="de")
    wanted = _template_messages()
    assert len(wanted) > 50
    missing = []
    for msgid in sorted(wanted):
        message = catalog.get(msgid)
        if (
            message is None
            or message.fuzzy
            or not all(message.string if isinstance(message.string, tuple) else [message.string])
        ):
            missing.append(msgid)
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for translated in strings:
            assert sorted(PLACEHOLDER.findall(translated)) == sorted(
                PLACEHOLDER.findall(ids[-1])
            ), msgid
    assert not missing, f"untranslated (run `make messages`, then translate): {missing}"


def test_catalogs_compile_at_start() -> None:
    i18n.translations.cache_clear()
    german = i18n.translations("de")
    assert german.gettext("Sign in") == "Anmelden"
    assert german.ngettext("%(num)s page", "%(num)s pages", 3) == "%(num)s Seiten"
    assert i18n.translations("en").gettext("Sign in") == "Sign in"


def test_search_snippets_keep_only_their_marks() -> None:
    from quire.web.ui.search_pages import highlighted

    engine = "a &lt;b&gt; &amp; <mark>zeppelin</mark> &lt;script&gt;x&lt;/script&gt;"
    assert str(highlighted(engine)) == (
        "a &lt;b&gt; &amp; <mark>zeppelin</mark> &lt;script&gt;x&lt;/script&gt;"
    )
    # Even markup the engine failed to escape stays text.
    assert str(highlighted("<img src=x onerror=alert(1)><mark>y</mark>")) == (
        "&lt;img src=x onerror=alert(1)&gt;<mark>y</mark>"
    )
