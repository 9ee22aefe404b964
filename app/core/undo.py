"""A persisted undo log: each undoable edit stores what is needed to reverse it, in the same transaction as the edit.

The reversing functions live with the edits (albums, events) and register with `undoer(action)`; the modules in
UNDO_MODULES are imported before an undo so that their reversers are known.
"""

from __future__ import annotations

import importlib
import json
import time
from typing import TYPE_CHECKING, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.db.models import UndoEntry

if TYPE_CHECKING:
    from app.core.library import Library

UNDO_MODULES = ["app.core.albums.service", "app.core.events.service", "app.core.organise.service",
                "app.core.voice.service"]

_REVERSERS: dict[str, Callable[[Session, dict], None]] = {}


class NothingToUndo(Exception):
    """The undo log holds no edit that can still be undone."""


def undoer(action: str):
    """Register the function that reverses `action` (called with the write session and the stored payload)."""

    def register(func):
        _REVERSERS[action] = func
        return func

    return register


def record(session: Session, action: str, payload: dict, label: str | None = None) -> None:
    """Log an edit inside the caller's write transaction (so the edit and its undo entry commit together)."""
    payload = dict(payload, label=label or action)
    session.add(UndoEntry(action=action, payload=json.dumps(payload), created_at=time.time()))


class UndoLog:
    def __init__(self, library: "Library"):
        self._library = library

    def undo_last(self, label: str | None = None) -> str:
        """Reverse the newest edit not undone yet; returns its label ("rename album 3"). With `label`, only when
        the newest edit is that one (a message's Undo button must not reverse a later edit)."""
        for name in UNDO_MODULES:
            importlib.import_module(name)
        with self._library.db.write_session() as s:
            entry = s.scalars(select(UndoEntry).where(UndoEntry.undone.is_(False)).order_by(UndoEntry.id.desc())
                              .limit(1)).first()
            if entry is None:
                raise NothingToUndo("nothing to undo")
            payload = json.loads(entry.payload)
            if label is not None and payload["label"] != label:
                raise NothingToUndo(f"{label} is no longer the last change (Edit → Undo steps back through them)")
            entry.undone = True
            try:
                with s.begin_nested():
                    _REVERSERS[entry.action](s, payload)
            except IntegrityError:
                # What the edit touched was deleted for good since (a photo emptied from the trash): the entry
                # is dropped, or it would stay the newest and block every older undo.
                gone = NothingToUndo(f"{payload['label']} can no longer be undone: its photo was deleted for good")
            else:
                return payload["label"]
        raise gone
