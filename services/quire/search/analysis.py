"""How text is cut into terms, the same at index and at query time.

- ``plain``: words and numbers, lower case, accents folded (``Größe`` → ``grosse``), and each
  Chinese/Japanese character a term of its own (``split_cjk`` sets them apart first), so CJK
  text is searchable without a dictionary (a phrase of characters finds the word).
- one stemmer per supported language (``Rechnungen`` → ``rechnung``), used beside ``plain`` for
  documents in that language.

Solr's configset (``solr/``) mirrors these choices with its own analyzers.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tantivy import Filter, TextAnalyzer, TextAnalyzerBuilder, Tokenizer

# Longer "words" are base64 blobs and hashes: nobody searches for them.
MAX_TOKEN_LENGTH = 60
# The same ranges for Python's re (CJK ideographs and extensions, kana, Hangul syllables).
_CJK_CHARACTER = re.compile(
    "([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f])"
)
# Invisible, and not a letter: a word boundary for the tokenizer that a snippet does not show.
ZERO_WIDTH_SPACE = "\u200b"
PLAIN = "quire_plain"
STEMMERS = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
}


def stemmed(language: str) -> str:
    return f"quire_{language}"


def split_cjk(text: str) -> str:
    """Each CJK character set apart, for ``plain``'s tokenizer (which splits on non-letters
    only, like Tantivy's fast simple tokenizer); other text is returned as it is."""
    if not _CJK_CHARACTER.search(text):
        return text
    return _CJK_CHARACTER.sub(ZERO_WIDTH_SPACE + r"\1" + ZERO_WIDTH_SPACE, text)


def terms(text: str) -> list[str]:
    """The terms ``plain`` makes of a user's words."""
    return plain().analyze(split_cjk(text))


@lru_cache(maxsize=1)
def plain() -> TextAnalyzer:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_LENGTH))
        .filter(Filter.lowercase())
        .filter(Filter.ascii_fold())
        .build()
    )


@lru_cache(maxsize=len(STEMMERS))
def stemmer(language: str) -> TextAnalyzer:
    return (
        TextAnalyzerBuilder(Tokenizer.simple())
        .filter(Filter.remove_long(MAX_TOKEN_LENGTH))
        .filter(Filter.lowercase())
        .filter(Filter.stemmer(STEMMERS[language]))
        .build()
    )


def analyzers() -> dict[str, TextAnalyzer]:
    """Every analyzer by the name the schema refers to it by."""
    return {PLAIN: plain(), **{stemmed(lang): stemmer(lang) for lang in STEMMERS}}
