"""How text is cut into terms, the same at index and at query time.

- ``plain``: words and numbers, lower case, accents folded (``Größe`` → ``grosse``), and each
  Chinese/Japanese character a term of its own, so CJK text is searchable without a dictionary
  (a phrase of characters finds the word).
- one stemmer per supported language (``Rechnungen`` → ``rechnung``), used beside ``plain`` for
  documents in that language.

Solr's configset (``solr/``) mirrors these choices with its own analyzers.
"""

from __future__ import annotations

from functools import lru_cache

from tantivy import Filter, TextAnalyzer, TextAnalyzerBuilder, Tokenizer

# Longer "words" are base64 blobs and hashes: nobody searches for them.
MAX_TOKEN_LENGTH = 60
CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
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


@lru_cache(maxsize=1)
def plain() -> TextAnalyzer:
    tokenizer = Tokenizer.regex(rf"[{CJK}]|[\p{{L}}\p{{N}}\p{{M}}]+")
    return (
        TextAnalyzerBuilder(tokenizer)
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
