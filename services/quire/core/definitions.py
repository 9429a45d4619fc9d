"""Writes to the definitions documents are classified by: document types and custom fields.

Search indexes a document's type and its custom-field values by name, so a rename or a delete
queues the affected documents for the indexer in the same transaction, and each operation
commits the change with that work. The API's routers call these after their own checks (the
caller owns the definition; the values allow the change).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core.custom_fields import (
    clear_type_values,
    documents_of_type,
    documents_with_values,
    drop_values_outside_type,
)
from quire.core.filing import refile_type_later
from quire.core.indexing import reindex_later
from quire.core.models import CustomField, DocumentType, DocumentTypeField
from quire.core.models.custom_fields import name_key


class NameTaken(ValueError):
    """The owner has a definition of this kind spelled alike already (maybe committed just now
    by a concurrent request)."""


def set_type_fields(doc_type: DocumentType, fields: list[CustomField]) -> None:
    """The type's fields, in this order; links to fields it keeps stay as they are."""
    by_id = {link.custom_field_id: link for link in doc_type.field_links}
    links = []
    for position, field in enumerate(fields):
        link = by_id.get(field.id) or DocumentTypeField(custom_field=field)
        link.position = position
        links.append(link)
    doc_type.field_links = links


def create_document_type(
    session: Session,
    owner_id: uuid.UUID,
    *,
    name: str,
    fields: list[CustomField],
    path_template: str | None = None,
) -> DocumentType:
    """A new type of the owner with these fields in this order, committed; ``NameTaken`` if
    the owner has a type of this name."""
    doc_type = DocumentType(
        user_id=owner_id, name=name, name_key=name_key(name), path_template=path_template
    )
    set_type_fields(doc_type, fields)
    session.add(doc_type)
    commit_named(session)
    return doc_type


def update_document_type(
    session: Session,
    doc_type: DocumentType,
    *,
    name: str | None = None,
    fields: list[CustomField] | None = None,
    path_template: dict[str, Any] | None = None,
) -> None:
    """Rename the type, replace its fields (values of fields it loses go), and with
    ``path_template`` (``{"value": ...}``, so that None can be set) change its template (the
    caller checked it: ``quire.path_templates.check_template``); a new template re-files the
    type's documents (``refile_type_later``)."""
    renamed = name is not None and name != doc_type.name
    if renamed:
        # Search may show a document's type by name. (Asked before any change is flushed.)
        reindex_later(session, documents_of_type(session, doc_type.id), user_id=doc_type.user_id)
    # A name taken meanwhile must fail at the commit (NameTaken), not in an autoflush.
    lost: set[uuid.UUID] = set()
    with session.no_autoflush:
        if fields is not None:
            lost = {field.id for field in doc_type.custom_fields} - {field.id for field in fields}
            set_type_fields(doc_type, fields)
            if lost:
                drop_values_outside_type(session, doc_type)
        if renamed:
            assert name is not None
            doc_type.rename(name)
        refile = bool(lost)
        if path_template is not None and path_template["value"] != doc_type.path_template:
            doc_type.path_template = path_template["value"]
            refile = True
    if refile:
        # A new template, or values gone with the fields: its documents may belong elsewhere.
        refile_type_later(session, doc_type)
    commit_named(session)


def delete_document_type(session: Session, doc_type: DocumentType) -> None:
    """Delete the type: its documents become untyped (ON DELETE SET NULL), their values go."""
    documents = documents_of_type(session, doc_type.id)
    clear_type_values(session, documents)
    reindex_later(session, documents, user_id=doc_type.user_id)
    session.delete(doc_type)
    session.commit()


def create_custom_field(
    session: Session,
    owner_id: uuid.UUID,
    *,
    name: str,
    field_type: str,
    extra_data: str | dict[str, Any] | None = None,
) -> CustomField:
    """A new custom field of the owner, committed (the caller checked ``extra_data``);
    ``NameTaken`` if the owner has a field of this name."""
    field = CustomField(
        user_id=owner_id, name=name, name_key=name_key(name), type=field_type, extra_data=extra_data
    )
    session.add(field)
    commit_named(session)
    return field


def update_custom_field(
    session: Session,
    field: CustomField,
    *,
    name: str | None = None,
    field_type: str | None = None,
    extra_data: dict[str, Any] | None = None,
) -> None:
    """Rename the field, change its type (the caller checked it has no values then) and with
    ``extra_data`` (``{"value": ...}``, so that None can be set) its extra data."""
    if name is not None and name != field.name:
        # Search knows values by their field's name. (Asked before any change is flushed.)
        reindex_later(session, documents_with_values(session, [field.id]), user_id=field.user_id)
        field.rename(name)
    if field_type is not None:
        field.type = field_type
    if extra_data is not None:
        field.extra_data = extra_data["value"]
    commit_named(session)


def delete_custom_field(session: Session, field: CustomField) -> None:
    """Delete the field; its values and its place in types go (ON DELETE CASCADE)."""
    reindex_later(session, documents_with_values(session, [field.id]), user_id=field.user_id)
    session.delete(field)
    session.commit()


def commit_named(session: Session) -> None:
    """Commit; a unique name taken meanwhile is ``NameTaken`` (the session rolled back)."""
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise NameTaken() from exc
