"""The free-text part of a query: what a page must contain to be shown as a matching page."""

from __future__ import annotations

from quire.search.query import And, Node, Not, Or, Text


def text_only(node: Node) -> Node | None:
    """The query without its filters and negations; None if nothing of it is free text.

    Filters (tags, dates, custom fields) select documents, not pages; negated words cannot be
    highlighted. ``a OR tag:x`` keeps no condition on pages: a page may match either way.
    """
    if isinstance(node, Text):
        return node if node.field == "any" else None
    if isinstance(node, And):
        items = [part for item in node.items if (part := text_only(item)) is not None]
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))
    if isinstance(node, Or):
        parts = [text_only(item) for item in node.items]
        if any(part is None for part in parts):
            return None
        return Or(tuple(part for part in parts if part is not None))
    if isinstance(node, Not):
        return None
    return None
