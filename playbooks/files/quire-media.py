"""The media root's archive and its manifest, for playbooks/backup.yml and restore.yml.

Run as root with the host's Python (the standard library only):

    python3 -c "$(cat quire-media.py)" create MEDIA_ROOT ARCHIVE MANIFEST
    python3 -c "$(cat quire-media.py)" verify MEDIA_ROOT MANIFEST

``create`` writes a tar of every file and folder under the media root, and the SHA-256 of each
file in the format of ``sha256sum`` (``sha256sum -c MANIFEST`` in an unpacked copy checks it).
Each checksum is of the bytes that went into the archive, read once: a file replaced while the
archive is made (Quire replaces a file by renaming a new one over it) is archived and listed as
the version that was opened, so the manifest always describes the archive. Left out: the
processes' scratch space (``tmp/``) and files still being written (``.tmp-*``).

``verify`` compares the media root with a manifest and prints JSON: how many files were checked,
and the paths that are missing, whose content differs, or that the manifest does not list.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import tarfile
from pathlib import Path

CHUNK = 1 << 20
# Paths shown per kind of difference; beyond it only counted.
SHOWN = 200


def excluded(relative: Path) -> bool:
    return relative.parts[0] == "tmp" or relative.name.startswith(".tmp-")


def walk(root: Path):
    """(relative path, full path, lstat) of every folder and file below root, sorted, top down."""
    for folder, folders, files in os.walk(root):
        folders.sort()
        base = Path(folder)
        kept = []
        for name in folders:
            relative = (base / name).relative_to(root)
            if not excluded(relative):
                kept.append(name)
                yield relative, base / name, (base / name).lstat()
        folders[:] = kept
        for name in sorted(files):
            relative = (base / name).relative_to(root)
            if not excluded(relative):
                yield relative, base / name, (base / name).lstat()


class HashingReader:
    """Reads a file for tarfile, hashing exactly the bytes it hands over."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def manifest_line(digest: str, relative: Path) -> str:
    """A sha256sum line; a name with a backslash or a line break is escaped as sha256sum does."""
    name = str(relative)
    if "\\" in name or "\n" in name or "\r" in name:
        escaped = name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{digest}  {escaped}\n"
    return f"{digest}  {name}\n"


def read_manifest(path: Path) -> dict[str, str]:
    expected = {}
    for line in path.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        if not line:
            continue
        escaped = line.startswith("\\")
        digest, _, name = line.removeprefix("\\").partition("  ")
        if escaped:
            name = name.replace("\\\\", "\0").replace("\\n", "\n").replace("\\r", "\r")
            name = name.replace("\0", "\\")
        expected[name] = digest
    return expected


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def create(root: Path, archive: Path, manifest: Path) -> None:
    files = 0
    size = 0
    with (
        tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar,
        manifest.open("w", encoding="utf-8", errors="surrogateescape") as listing,
    ):
        for relative, path, info in walk(root):
            if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
                continue
            try:
                member = tar.gettarinfo(str(path), arcname=str(relative))
                handle = None if member.isdir() else path.open("rb")
            except FileNotFoundError:
                continue  # removed since the walk saw it (a deleted document)
            # Owners are the restoring host's business (its quire user may have another uid).
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            if handle is None:
                tar.addfile(member)
                continue
            with handle:
                # The size of what was opened (a file renamed over this path is another inode).
                member.size = os.fstat(handle.fileno()).st_size
                reader = HashingReader(handle)
                tar.addfile(member, reader)
            listing.write(manifest_line(reader.digest.hexdigest(), relative))
            files += 1
            size += member.size
    print(json.dumps({"files": files, "bytes": size}))


def verify(root: Path, manifest: Path) -> None:
    expected = read_manifest(manifest)
    missing: list[str] = []
    differing: list[str] = []
    unexpected: list[str] = []
    counts = {"missing": 0, "differing": 0, "unexpected": 0}

    def note(kind: str, shown: list[str], name: str) -> None:
        counts[kind] += 1
        if len(shown) < SHOWN:
            shown.append(name)

    present = set()
    for relative, path, info in walk(root):
        if not stat.S_ISREG(info.st_mode):
            continue
        name = str(relative)
        present.add(name)
        if name not in expected:
            note("unexpected", unexpected, name)
        elif sha256_of(path) != expected[name]:
            note("differing", differing, name)
    for name in sorted(expected.keys() - present):
        note("missing", missing, name)
    print(
        json.dumps(
            {
                "checked": len(expected),
                "counts": counts,
                "missing": missing,
                "differing": differing,
                "unexpected": unexpected,
            }
        )
    )


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "create":
        create(Path(argv[1]), Path(argv[2]), Path(argv[3]))
        return 0
    if len(argv) == 3 and argv[0] == "verify":
        verify(Path(argv[1]), Path(argv[2]))
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
