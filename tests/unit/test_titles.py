"""The numbered titles an import takes when a name is taken (``core.titles.candidates``)."""

from itertools import islice

from quire.core.titles import MAX_TITLE, candidates


def _first(title: str, count: int = 3, *, keep_extension: bool = True) -> list[str]:
    return list(islice(candidates(title, keep_extension=keep_extension), count))


def test_a_files_extension_stays_last_a_folders_name_is_whole():
    assert _first("scan.pdf") == ["scan.pdf", "scan (2).pdf", "scan (3).pdf"]
    assert _first("archive.tar.gz", 2) == ["archive.tar.gz", "archive.tar (2).gz"]
    assert _first("2024.05", 2, keep_extension=False) == ["2024.05", "2024.05 (2)"]
    # What is no extension: a dot file, a trailing dot, words after the dot.
    assert _first(".profile", 2) == [".profile", ".profile (2)"]
    assert _first("v1. draft", 2) == ["v1. draft", "v1. draft (2)"]
    assert _first("notes.", 2) == ["notes.", "notes. (2)"]


def test_numbered_titles_fit_the_column():
    long = "x" * 251 + ".pdf"
    numbered = _first(long, 12)[1:]
    assert all(len(title) == MAX_TITLE and title.endswith(").pdf") for title in numbered)
    assert numbered[-1].endswith("x (12).pdf")
