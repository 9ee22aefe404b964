"""Edits the Events and Albums views make to the library: run off the GUI thread, said through the message
bridge with an Undo button, followed by a refresh of what shows the library.

Album and event edits share one persisted undo log (app.core.undo, `shoebox undo`), so Undo here and on the
command line undo the same thing."""

from __future__ import annotations

import itertools
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication

_serial = itertools.count()


def _tr(text: str) -> str:
    return QCoreApplication.translate("Edits", text)


def user_error(error: BaseException) -> bool:
    """Errors whose message is written for the user (unknown album, empty name, bad query...)."""
    return type(error).__name__ in ("AlbumError", "EventError", "QueryError", "NotAvailableError", "NothingToUndo",
                                    "ExportError")


def run_edit(context, func: Callable[[], Any], done_text: Callable[[Any], str] | str | None,
             on_done: Callable[[Any], None] | None = None, *, undo: bool = True) -> None:
    """Run `func` (a write through a core service) on the reader thread; then say `done_text` with an Undo
    button, call `on_done(result)` and refresh. Every edit counts: each gets its own reader key."""
    key = f"edit-{next(_serial)}"

    def finished(result, error) -> None:
        if error is not None:
            if user_error(error):
                context.messages.warning(str(error), key="edit")
            else:
                context.messages.error(_tr("The change could not be made: {error}").format(error=error), error,
                                       key="edit")
            return
        text = done_text(result) if callable(done_text) else done_text
        if text:
            context.messages.info(text, key="edit", actions=[(_tr("Undo"), lambda: undo_last(context))] if undo else [])
        if on_done is not None:
            on_done(result)
        context.refresh()

    context.reader.read(key, func, finished)


def undo_last(context, library=None) -> None:
    """Undo the newest album or event edit (the persisted log, also `shoebox undo`)."""
    library = library or getattr(context.window, "library", None)
    if library is None:
        return
    run_edit(context, library.undo.undo_last, lambda label: _tr("Undone: {what}.").format(what=label), undo=False)
