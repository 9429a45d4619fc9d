"""Writes a consistent copy of an SQLite database to stdout (playbooks/backup.yml).

Run as the database's owner (the quire user), so that SQLite's journal files, when it makes
them, belong to that user:

    python3 -c "$(cat quire-sqlite-copy.py)" DATABASE > COPY

SQLite's online backup copies the database as one transaction saw it, while Quire keeps writing.
"""

import sqlite3
import sys

source = sqlite3.connect(sys.argv[1])
copy = sqlite3.connect(":memory:")
with copy:
    source.backup(copy)
source.close()
sys.stdout.buffer.write(copy.serialize())
