"""The search benchmark's synthetic corpus, written straight into a migrated database.

Five users own 2,000 documents each (at full size), 10 pages of 150-300 words per document,
filed in folders of 100. Words are drawn from a fixed vocabulary with a Zipf distribution
(real English at the head, pronounceable made-up words in the tail), so postings lists have the
skew of real text. Every user belongs to the group ``staff``; one folder of ``bench0`` is shared
with the group and one of ``bench2`` with ``bench1``, the user who searches, so the permission
filter has a user and a group principal to match and a fifth of the corpus to let through.

What the three queries find:
- selective: ``SELECTIVE`` is planted on one page of ``SELECTIVE_DOCUMENTS`` documents;
- broad: ``BROAD`` sits at Zipf rank 12, which puts it on ~90% of pages;
- filtered: ``FILTER_WORD`` (on most documents) with the tag ``urgent`` (10% of documents)
  and a half-year of creation dates (1/8 of them).
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, text

from quire.core import scopes
from quire.core.db import Database, utcnow
from quire.core.migrate import upgrade
from quire.core.models import (
    Document,
    DocumentVersion,
    Group,
    Node,
    Page,
    Role,
    RoleScope,
    SharedNode,
    Tag,
)
from quire.core.models.tags import nodes_tags
from quire.core.models.users import users_groups, users_roles
from quire.core.users import create_user

USERS = 5
PAGES_PER_DOCUMENT = 10
FOLDER_SIZE = 100
WORDS_PER_PAGE = (150, 300)
VOCABULARY_SIZE = 6000
ZIPF_EXPONENT = 1.07
PASSWORD = "bench-search-password"
SEARCHER = "bench1"
SELECTIVE = "quokka"
SELECTIVE_DOCUMENTS = 10
# Real English first. A business archive's most common content word is placed among the
# function words (rank 12) so that the broad query matches most pages, as "invoice" would in
# an accounts archive.
BROAD = "account"
FILTER_WORD = "contract"
_HEAD_TEXT = (
    "the of and to a in is for that on with account as by this be are from at or it an "
    "payment not will have which has date our we please total amount your all any been if "
    "contract order number company service price due invoice per shall such under other "
    "terms period year month days tax net customer supplier delivery goods report "
    "balance bank credit notice section agreement party parties letter reference office "
    "address phone email street city country product quantity unit item description value "
    "rate fee charge cost expenses budget plan project meeting review approval signature "
    "manager director department employee staff salary insurance policy claim premium risk "
    "property lease rent building maintenance repair inspection certificate license permit "
    "application request response confirmation receipt statement summary schedule deadline"
)
HEAD = _HEAD_TEXT.split()
TAGS = {"urgent": 0.10, "paid": 0.30, "archive": 0.20}
FILTER_TAG = "urgent"
FILTER_PERIOD = ("2024-01-01", "2024-06-30")
CREATED_FROM = datetime(2022, 1, 1, tzinfo=UTC)
CREATED_DAYS = 4 * 365


@dataclass
class Corpus:
    database_url: str
    documents: int
    pages: int
    # Folders and documents: what the indexer writes (homes and inboxes are not indexed).
    indexed_nodes: int
    owner_principals: list[str]
    queries: dict[str, str]
    broad_page_share: float
    generation_s: float


def vocabulary() -> list[str]:
    """HEAD, then made-up words of two or three syllables, the same on every run."""
    rng = random.Random(11)
    onsets = [*"bcdfghjklmnprstvwz", "br", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th"]
    syllables = [o + v for o in onsets for v in ("a", "e", "i", "o", "u", "ai", "ou")]
    words = list(HEAD)
    seen = set(words) | {SELECTIVE}
    while len(words) < VOCABULARY_SIZE:
        word = "".join(rng.choices(syllables, k=rng.choice((2, 2, 3)))) + rng.choice("nrstl ")
        word = word.strip()
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def build(database_url: str, documents: int, seed: int = 5) -> Corpus:
    """Migrate the empty database and fill it; 20-40 s for 10,000 documents."""
    started = time.perf_counter()
    database = Database(database_url)
    upgrade(database.engine)
    accounts = _users(database)
    rng = random.Random(seed)
    words = vocabulary()
    weights = list(
        itertools.accumulate(1 / rank**ZIPF_EXPONENT for rank in range(1, len(words) + 1))
    )
    planted = set(rng.sample(range(documents), SELECTIVE_DOCUMENTS))
    per_user = -(-documents // USERS)
    broad_pages = pages = 0
    now = utcnow()
    with database.engine.begin() as connection:
        tags = _tags(connection, accounts.users, now)
        folders = _folders(connection, accounts, per_user, now)
        for start in range(0, documents, 500):
            rows: dict[str, list[dict[str, Any]]] = {
                "nodes": [],
                "documents": [],
                "versions": [],
                "pages": [],
                "tags": [],
            }
            for n in range(start, min(start + 500, documents)):
                owner, slot = divmod(n, per_user)
                texts = _pages(rng, words, weights, planted=n in planted)
                broad_pages += sum(f" {BROAD} " in f" {text} " for text in texts)
                pages += len(texts)
                folder = folders[owner][slot // FOLDER_SIZE]
                _document(rows, rng, accounts.users[owner], folder, texts, number=n)
                rows["tags"].extend(
                    {"node_id": rows["nodes"][-1]["id"], "tag_id": tags[owner][name]}
                    for name, share in TAGS.items()
                    if rng.random() < share
                )
            connection.execute(insert(Node), rows["nodes"])
            connection.execute(insert(cast(Table, Document.__table__)), rows["documents"])
            connection.execute(insert(DocumentVersion), rows["versions"])
            connection.execute(insert(Page), rows["pages"])
            if rows["tags"]:
                connection.execute(insert(nodes_tags), rows["tags"])
        _shares(connection, accounts, folders, now)
        # What autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) does in production, and
        # benchmarks.core does too. Measured right after the load, PostgreSQL planned without
        # statistics when autovacuum had not caught up yet: the trash check of a page of hits
        # walked up the tree scanning every node at each level (4 ms instead of 0.2).
        connection.execute(text("ANALYZE"))
    database.dispose()
    low, high = FILTER_PERIOD
    return Corpus(
        database_url=database_url,
        documents=documents,
        pages=pages,
        indexed_nodes=documents + sum(len(f) for f in folders),
        owner_principals=[f"u:{user}" for user in accounts.users],
        queries={
            "selective": SELECTIVE,
            "broad": BROAD,
            "filtered": f"{FILTER_WORD} tag:{FILTER_TAG} created:[{low} TO {high}]",
        },
        broad_page_share=broad_pages / max(pages, 1),
        generation_s=time.perf_counter() - started,
    )


@dataclass
class _Accounts:
    users: list[uuid.UUID]
    homes: list[uuid.UUID]
    role_id: uuid.UUID
    group_id: uuid.UUID


def _users(database: Database) -> _Accounts:
    """bench0..bench4 with their homes, a role to search, all of them in the group staff."""
    with database.session() as session:
        role = Role(name="bench-viewer", scope_rows=[RoleScope(scope=scopes.NODE_VIEW)])
        group = Group(name="staff")
        session.add_all([role, group])
        accounts = [
            create_user(session, username=f"bench{i}", password=PASSWORD) for i in range(USERS)
        ]
        ids = [account.id for account in accounts]
        session.execute(insert(users_roles), [{"user_id": i, "role_id": role.id} for i in ids])
        session.execute(insert(users_groups), [{"user_id": i, "group_id": group.id} for i in ids])
        session.commit()
        homes = [account.home_folder_id for account in accounts]
        assert all(homes)
        return _Accounts(ids, [h for h in homes if h], role.id, group.id)


def _tags(
    connection: Connection, users: list[uuid.UUID], now: datetime
) -> list[dict[str, uuid.UUID]]:
    tags = [{name: uuid.uuid4() for name in TAGS} for _ in users]
    rows = [
        {"id": tag_id, "name": name, "user_id": user, "created_at": now}
        for user, by_name in zip(users, tags, strict=True)
        for name, tag_id in by_name.items()
    ]
    connection.execute(insert(Tag), rows)
    return tags


def _folders(
    connection: Connection, accounts: _Accounts, per_user: int, now: datetime
) -> list[list[uuid.UUID]]:
    folders: list[list[uuid.UUID]] = []
    for user, home in zip(accounts.users, accounts.homes, strict=True):
        ids = [uuid.uuid4() for _ in range(-(-per_user // FOLDER_SIZE))]
        rows = [
            {**_node(folder_id, f"Folder {n:03d}", "folder", user, now), "parent_id": home}
            for n, folder_id in enumerate(ids)
        ]
        connection.execute(insert(Node), rows)
        folders.append(ids)
    return folders


def _node(
    node_id: uuid.UUID, title: str, ctype: str, user: uuid.UUID, at: datetime
) -> dict[str, Any]:
    return {
        "id": node_id,
        "title": title,
        "ctype": ctype,
        "lang": "eng",
        "user_id": user,
        "created_at": at,
        "updated_at": at,
    }


def _pages(
    rng: random.Random, words: list[str], weights: list[float], *, planted: bool
) -> list[str]:
    texts = []
    for _ in range(PAGES_PER_DOCUMENT):
        page = rng.choices(words, cum_weights=weights, k=rng.randint(*WORDS_PER_PAGE))
        texts.append(page)
    if planted:
        page = rng.choice(texts)
        page[rng.randrange(len(page))] = SELECTIVE
    return [" ".join(page) for page in texts]


def _document(
    rows: dict[str, list[dict[str, Any]]],
    rng: random.Random,
    owner: uuid.UUID,
    folder: uuid.UUID,
    texts: list[str],
    *,
    number: int,
) -> None:
    document_id, version_id = uuid.uuid4(), uuid.uuid4()
    created = CREATED_FROM + timedelta(seconds=rng.randrange(CREATED_DAYS * 86400))
    # Numbered: a folder holds one node per title.
    title = " ".join(rng.choice(HEAD[40:]) for _ in range(3)).capitalize() + f" {number}"
    rows["nodes"].append(
        {**_node(document_id, title, "document", owner, created), "parent_id": folder}
    )
    rows["documents"].append({"id": document_id, "ocr": False, "ocr_status": "SUCCESS"})
    rows["versions"].append(
        {
            "id": version_id,
            "document_id": document_id,
            "number": 1,
            "file_name": "scan.pdf",
            "mime_type": "application/pdf",
            "size": 50_000 * len(texts),
            "page_count": len(texts),
            "lang": "eng",
            "short_description": "",
            "created_at": created,
        }
    )
    rows["pages"].extend(
        {
            "id": uuid.uuid4(),
            "document_version_id": version_id,
            "number": number,
            "text": text,
            "lang": "eng",
        }
        for number, text in enumerate(texts, start=1)
    )


def _shares(
    connection: Connection, accounts: _Accounts, folders: list[list[uuid.UUID]], now: datetime
) -> None:
    """bench0's first folder to the group staff, bench2's first folder to bench1."""
    base = {"role_id": accounts.role_id, "created_at": now}
    # Both keys in both rows: an executemany needs the same columns in every row.
    group = {"node_id": folders[0][0], "group_id": accounts.group_id, "user_id": None}
    user = {"node_id": folders[2][0], "user_id": accounts.users[1], "group_id": None}
    connection.execute(
        insert(SharedNode), [{**base, **grantee, "id": uuid.uuid4()} for grantee in (group, user)]
    )
