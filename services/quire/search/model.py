"""What the search index holds about a node, read from the database in batches.

One ``IndexedNode`` per folder or document: its title, tags, document type, custom fields,
owner, dates, language, the folders above it, who may see it (``principals``), and for a
document the text of each page of its newest version. Backends turn it into their own entries:
one per node, for matching and counting documents, and one per page, for the pages that match
and their snippets.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from quire.core import access
from quire.core.custom_fields import load_value
from quire.core.db import chunked
from quire.core.documents import newest_with_file
from quire.core.models import (
    CustomField,
    CustomFieldValue,
    Document,
    DocumentType,
    DocumentVersion,
    Node,
    Page,
)
from quire.core.ownership import is_trash_folder, member_groups, principal

CustomValue = str | int | float | bool | datetime
# The only principal of a node in a trash (``trashed:<owner id>``), which no caller has.
TRASHED_PRINCIPAL = "trashed:"
# Tesseract's codes to the stemmers both backends have.
STEMMED_LANGUAGES = {
    "eng": "en",
    "deu": "de",
    "fra": "fr",
    "spa": "es",
    "ita": "it",
    "nld": "nl",
}


@dataclass(frozen=True)
class IndexedPage:
    number: int
    text: str


@dataclass(frozen=True)
class IndexedNode:
    id: uuid.UUID
    ctype: str
    title: str
    lang: str
    owner_id: uuid.UUID
    # "u:<user id>" and "g:<group id>" of everyone who may see the node.
    principals: frozenset[str]
    # Ids of the folders above the node, nearest last.
    ancestors: tuple[uuid.UUID, ...]
    created_at: datetime
    updated_at: datetime
    tags: tuple[str, ...] = ()
    document_type: str | None = None
    custom_fields: dict[str, CustomValue] = field(default_factory=dict)
    pages: tuple[IndexedPage, ...] = ()

    @property
    def stemmed_languages(self) -> list[str]:
        """The stemmers for the node's language(s): ``deu+eng`` gives de and en."""
        codes = (STEMMED_LANGUAGES.get(code) for code in self.lang.split("+"))
        return sorted({code for code in codes if code})

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything indexed changes: how ``quire search check`` finds drift."""
        content = json.dumps(
            [
                self.ctype,
                self.title,
                self.lang,
                str(self.owner_id),
                sorted(self.principals),
                [str(a) for a in self.ancestors],
                self.created_at.isoformat(),
                list(self.tags),
                self.document_type,
                sorted((k, str(v)) for k, v in self.custom_fields.items()),
                [(page.number, page.text) for page in self.pages],
            ]
        )
        return hashlib.sha256(content.encode()).hexdigest()[:32]


def custom_field_key(name: str) -> str:
    """A custom field's name as queries and engines spell it: ``Total Amount`` → total_amount.

    The key is a field-name fragment both engines take (``[a-z0-9_]``), found from the name
    as a query writes it (``cf.<name>``), so it ignores what a query cannot tell apart. The
    name is case-folded (and NFC-normalized), and every run of characters other than letters
    and digits (of any script) becomes one ``_``, without ``_`` at the ends: its *words*.

    - Words of ASCII letters and digits only are the key (``  Net (EUR) `` → ``net_eur``;
      ``""`` → ``_``): the keys indexes have always held for such names.
    - Other words are folded to ASCII (NFKD, accents dropped, what is still not ASCII dropped
      too, runs of dropped characters one ``_``), followed by ``_`` and 8 hex digits of the
      SHA-256 of the words: ``Ümlaut`` → ``umlaut_e30af24e``, ``Цена`` → ``_ba272c37``,
      ``Größe`` → ``grosse_d179961a``. So names whose words differ have different keys (two
      Cyrillic names are no longer both ``_``, ``Ümlaut`` no longer ``mlaut``), and
      ``cf.größe``, ``cf.GRÖSSE`` and ``cf.Größe`` name the same field.

    Names with the same words share a key, as they always did: ``Total Amount``,
    ``total-amount`` and ``Total (Amount)`` are one field to a query.
    """
    folded = unicodedata.normalize("NFC", name.casefold())
    # ``\W`` is Unicode-aware: letters and digits of every script are kept.
    words = re.sub(r"[\W_]+", "_", folded).strip("_")
    if words.isascii():
        return words or "_"
    ascii_words = "".join(
        c for c in unicodedata.normalize("NFKD", words) if not unicodedata.combining(c)
    )
    base = re.sub(r"[^a-z0-9]+", "_", ascii_words.lower()).strip("_")
    digest = hashlib.sha256(words.encode()).hexdigest()[:8]
    return f"{base}_{digest}"


def custom_field_types(
    session: Session, user_id: uuid.UUID, keys: Iterable[str]
) -> dict[str, set[str]]:
    """For binding a query (``binding.bind``): the types of the custom fields with these keys
    that the user may meet in results, their own and those of the users who share nodes with
    them, and those of the accounts that made their groups' nodes (a node belongs to the owner
    of its folder, and a group's node uses its maker's fields: those are all it can have)."""
    wanted = set(keys)
    if not wanted:
        return {}
    owners = select(Node.user_id).where(
        or_(Node.id.in_(access.shared_with(user_id)), Node.group_id.in_(member_groups(user_id)))
    )
    rows = session.execute(
        select(CustomField.name, CustomField.type)
        .where(or_(CustomField.user_id == user_id, CustomField.user_id.in_(owners)))
        .distinct()
    )
    types: dict[str, set[str]] = defaultdict(set)
    for name, field_type in rows:
        key = custom_field_key(name)
        if key in wanted:
            types[key].add(field_type)
    return dict(types)


def with_descendants(session: Session, node_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """The nodes and everything below them, one query per level of the tree."""
    found = list(dict.fromkeys(node_ids))
    frontier = found
    while frontier:
        frontier = [
            child
            for chunk in chunked(frontier)
            for child in session.scalars(select(Node.id).where(Node.parent_id.in_(chunk)))
        ]
        found.extend(frontier)
    return found


def load(session: Session, node_ids: Sequence[uuid.UUID]) -> list[IndexedNode]:
    """The nodes as the index should hold them; ids that no longer exist are left out, and so
    are each user's home and inbox (everything a user has is in them: no search finds them)."""
    query = select(Node).where(Node.id.in_(node_ids), Node.parent_id.is_not(None))
    nodes = list(session.scalars(query))
    if not nodes:
        return []
    parents = _ancestry(session, nodes)
    chains = {node.id: _chain(node.parent_id, parents) for node in nodes}
    principals = access.nodes_principals(session, [node.id for node in nodes])
    roots = {chain[0] for chain in chains.values() if chain}
    trashes = set(
        session.scalars(select(Node.id).where(Node.id.in_(roots), is_trash_folder(Node.id)))
    )
    for node in nodes:
        if chains[node.id] and chains[node.id][0] in trashes:
            # Kept in the index until the trash is emptied, but found by nobody: no user's
            # principals (``u:``, ``g:``) match this one, so the engine's counts stay exact.
            principals[node.id] = {f"{TRASHED_PRINCIPAL}{node.group_id or node.user_id}"}
    documents = [node.id for node in nodes if isinstance(node, Document)]
    pages = _pages(session, documents)
    types = _document_types(session, documents)
    values = _custom_fields(session, documents)
    return [
        IndexedNode(
            id=node.id,
            ctype=node.ctype,
            title=node.title,
            lang=node.lang,
            owner_id=node.user_id,
            principals=frozenset(principals.get(node.id, {principal(node.user_id, node.group_id)})),
            ancestors=chains[node.id],
            created_at=node.created_at,
            updated_at=node.updated_at,
            tags=tuple(sorted(tag.name for tag in node.tags)),
            document_type=types.get(node.id),
            custom_fields=values.get(node.id, {}),
            pages=tuple(pages.get(node.id, ())),
        )
        for node in nodes
    ]


def _ancestry(session: Session, nodes: list[Node]) -> dict[uuid.UUID, uuid.UUID | None]:
    """Parent of every folder above the nodes, one query per level."""
    parents: dict[uuid.UUID, uuid.UUID | None] = {node.id: node.parent_id for node in nodes}
    missing = {p for p in parents.values() if p is not None and p not in parents}
    while missing:
        for chunk in chunked(missing):
            rows = session.execute(select(Node.id, Node.parent_id).where(Node.id.in_(chunk)))
            for node_id, parent_id in rows:
                parents[node_id] = parent_id
        missing = {p for p in parents.values() if p is not None and p not in parents}
    return parents


def _chain(
    parent_id: uuid.UUID | None, parents: dict[uuid.UUID, uuid.UUID | None]
) -> tuple[uuid.UUID, ...]:
    chain: list[uuid.UUID] = []
    while parent_id is not None and parent_id not in chain:
        chain.append(parent_id)
        parent_id = parents.get(parent_id)
    return tuple(reversed(chain))


def _pages(session: Session, documents: list[uuid.UUID]) -> dict[uuid.UUID, list[IndexedPage]]:
    """The pages of each document's newest version that has a file (what upstream searches)."""
    if not documents:
        return {}
    newest = newest_with_file(documents)
    rows = session.execute(
        select(DocumentVersion.document_id, Page.number, Page.text)
        .join(
            newest,
            (newest.c.document_id == DocumentVersion.document_id)
            & (newest.c.number == DocumentVersion.number),
        )
        .join(Page, Page.document_version_id == DocumentVersion.id)
        .order_by(DocumentVersion.document_id, Page.number)
    )
    pages: dict[uuid.UUID, list[IndexedPage]] = defaultdict(list)
    for document_id, number, text in rows:
        pages[document_id].append(IndexedPage(number, text or ""))
    return pages


def _document_types(session: Session, documents: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not documents:
        return {}
    rows = session.execute(
        select(Document.id, DocumentType.name)
        .join(DocumentType, DocumentType.id == Document.document_type_id)
        .where(Document.id.in_(documents))
    )
    return {document_id: name for document_id, name in rows}


def _custom_fields(
    session: Session, documents: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, CustomValue]]:
    if not documents:
        return {}
    rows = session.execute(
        select(CustomFieldValue, CustomField.name, CustomField.type)
        .join(CustomField, CustomField.id == CustomFieldValue.field_id)
        .where(CustomFieldValue.document_id.in_(documents))
    )
    values: dict[uuid.UUID, dict[str, CustomValue]] = defaultdict(dict)
    for row, name, kind in rows:
        value = _indexable(load_value(row, kind))
        if value is not None:
            values[row.document_id][custom_field_key(name)] = value
    return values


def _indexable(value: object) -> CustomValue | None:
    """Dates become midnight UTC datetimes, money a float: what both engines range over."""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None if value is None else str(value)
