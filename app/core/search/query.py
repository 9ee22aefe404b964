"""Running a query of the language: filters as SQL, free words ranked by smart search when it is available.

`run_query` is SQL only (smart albums, export): membership must not depend on a model. `search` is the search
box: when a CLIP model serves, the free words that must all hold are not matched against names; instead the
text's nearest photos (smart search's top hits) are kept if they pass the filters, best first. Without a model
(or before any photo has its vector) free words match file and folder names, as in `run_query`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from app.core.search.errors import NotAvailableError, QueryError
from app.core.search.parse import And, free_words, parse
from app.core.search.sql import photo_ids_query

if TYPE_CHECKING:
    from app.core.library import Library

__all__ = ["parse", "run_query", "search", "QueryError", "NotAvailableError"]


def run_query(library: "Library", query: str, *, session: Session | None = None) -> list[int]:
    """Ids of the photos the query matches, newest first; raises QueryError for a bad query."""
    tree = parse(query)
    if session is not None:
        return list(session.scalars(photo_ids_query(session, query, tree)))
    with library.db.read_session() as s:
        return list(s.scalars(photo_ids_query(s, query, tree)))


def search(library: "Library", query: str, limit: int = 200) -> list[int]:
    """The search box: like run_query, but free words rank by smart search when a model serves."""
    tree = parse(query)
    words = free_words(tree)
    status = library.search.status() if words else None
    if not words or not status.model_available or not status.embedded:
        return run_query(library, query)[:limit]
    rest = And(tuple(c for c in tree.children if c not in words)) if isinstance(tree, And) else And(())
    with library.db.read_session() as s:
        allowed = set(s.scalars(photo_ids_query(s, query, rest)))
    text = " ".join(w.text for w in words)
    hits = library.search.text(text, limit=max(limit * 10, 1000))
    return [h.photo_id for h in hits if h.photo_id in allowed][:limit]
