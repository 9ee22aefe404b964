"""The everyday photo actions of the window (issue 14): rotate, favourite, rate, reject, tag, undo, and handing a
photo to the desktop (file manager, default app, clipboard).

Every action works on the grid's selection (the viewer keeps the grid's selection on the photo it shows), runs
its edit through `library.organise` on the window's worker thread, and then repaints what shows those photos.
Single-key shortcuts (0-5, ., F, X, T) belong to the grid and the viewer only, so typing in the search box or
the info panel never rates a photo; the Ctrl shortcuts work anywhere in the window.
"""

from __future__ import annotations

import itertools
import logging
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QStringListModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QCompleter, QDialog, QDialogButtonBox, QFileDialog, QLabel, QLineEdit, QMenu,
                               QVBoxLayout, QWidget)

from app.ui import desktop
from app.ui.images import read_image
from app.ui.workers import Worker

log = logging.getLogger(__name__)

_serial = itertools.count(1)
COPY_MAX_SIDE = 4096


def _tr(text: str) -> str:
    return QCoreApplication.translate("OrganiseActions", text)


class _TagCompleter(QCompleter):
    """Completes the tag being typed after the last comma ("dog, Pla" -> "dog, Places/Japan")."""

    def splitPath(self, path: str) -> list[str]:
        return [path.split(",")[-1].strip()]

    def pathFromIndex(self, index) -> str:
        typed = self.widget().text()
        head = typed.rsplit(",", 1)[0] + ", " if "," in typed else ""
        return head + super().pathFromIndex(index)


class TagDialog(QDialog):
    """Asks for tags, comma-separated, completing known ones."""

    def __init__(self, title: str, prompt: str, names: list[str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt))
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(_tr("e.g. family, Places/Japan/Kyoto"))
        completer = _TagCompleter(QStringListModel(names, self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(completer)
        layout.addWidget(self.edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def names(self) -> list[str]:
        return [n.strip() for n in self.edit.text().split(",") if n.strip()]


class OrganiseActions(QObject):
    """`edited(ids)` after each edit (None: unknown photos, e.g. after an undo)."""

    edited = Signal(object)

    def __init__(self, window: QWidget, browser, reader, messages, refresh: Callable[[], None] | None = None):
        super().__init__(window)
        self.window, self.browser, self.reader, self.messages = window, browser, reader, messages
        self.refresh = refresh or (lambda: None)
        self.library = None
        self.tag_dialog: TagDialog | None = None
        self.export_dialog: QFileDialog | None = None
        self.exporter = Worker(threads=1, parent=self)  # exports take long: never in the way of the window's reads
        self.pending = 0  # edits sent to the worker and not finished (tests wait on it)

        self.rotate_left = self._action(_tr("Rotate &Left"), lambda: self.rotate(-90), "Ctrl+R", local=False)
        self.rotate_right = self._action(_tr("Rotate &Right"), lambda: self.rotate(90), "Ctrl+Shift+R", local=False)
        self.favourite = self._action(_tr("&Favourite"), self.toggle_favourite, [".", "F"])
        self.reject = self._action(_tr("Re&ject"), self.toggle_rejected, "X")
        self.rating_menu = QMenu(_tr("&Rating"), window)
        self.rate = []
        for stars in range(6):
            text = _tr("No Rating") if stars == 0 else "★" * stars
            action = self._action(text, lambda _=False, n=stars: self.set_rating(n), str(stars))
            self.rate.append(action)
            self.rating_menu.addAction(action)
        self.add_tags = self._action(_tr("Add &Tags…"), self.ask_add_tags, "T")
        self.remove_tags = self._action(_tr("Remo&ve Tags…"), self.ask_remove_tags, "Shift+T")
        self.show_in_folder = self._action(_tr("Show in File &Manager"), self.show_in_file_manager, "Ctrl+Alt+R",
                                           local=False)
        self.open_default = self._action(_tr("Open with &Default App"), self.open_with_default_app, "Ctrl+Shift+D",
                                         local=False)
        self.export = self._action(_tr("&Export…"), self.ask_export, "Ctrl+Shift+E", local=False)
        self.copy_image = self._action(_tr("Copy &Image"), self.copy_image_to_clipboard,
                                       QKeySequence.StandardKey.Copy)
        self.undo = self._action(_tr("&Undo"), self.undo_last, QKeySequence.StandardKey.Undo, local=False)
        self.undo.setEnabled(False)

    def _action(self, text: str, slot, shortcut=None, *, local: bool = True) -> QAction:
        action = QAction(text, self.window)
        action.triggered.connect(slot)
        if shortcut is not None:
            if isinstance(shortcut, list):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if local:  # a bare key: only where photos are (see the module docstring)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        return action

    # -- what the window adds to its menus -------------------------------------------------------------------
    def menu_items(self) -> list[QAction | None]:
        """For the Photo menu and the grid's context menu; None is a separator."""
        return [self.rotate_left, self.rotate_right, None, self.favourite, self.reject,
                self.rating_menu.menuAction(), self.add_tags, self.remove_tags, None, self.show_in_folder,
                self.open_default, self.copy_image, self.export]

    def add_to_menu(self, menu: QMenu) -> None:
        for item in self.menu_items():
            menu.addSeparator() if item is None else menu.addAction(item)

    def attach(self, *widgets: QWidget) -> None:
        """Make the grid- and viewer-only shortcuts work in these widgets."""
        actions = [a for a in self.menu_items() if a is not None and a is not self.rating_menu.menuAction()]
        for widget in widgets:
            widget.addActions(actions + self.rate)

    def set_library(self, library) -> None:
        if library is None:
            self.exporter.wait()  # an export still running finishes before its library closes
        self.library = library
        self.undo.setEnabled(library is not None and not library.read_only)

    # -- the selection ---------------------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        model, view = self.browser.model, self.browser.grid_view
        if model is None or view.selectionModel() is None:
            return []
        rows = []
        for selected in view.selectionModel().selection():
            rows.extend(range(selected.top(), selected.bottom() + 1))
        if not rows and view.currentIndex().isValid():
            rows = [view.currentIndex().row()]
        return [model.photo_id(r) for r in sorted(set(rows)) if r < model.rowCount()]

    def _infos(self, ids: list[int]) -> list:
        model = self.browser.model
        rows = [model.row_of(i) for i in ids[:500]]
        return [info for r in rows if r is not None and (info := model.info(r)) is not None]

    # -- edits -----------------------------------------------------------------------------------------------
    def _edit(self, change: Callable[[object, list[int]], object], ids: list[int] | None = None) -> bool:
        """Run `change(organise, ids)` on the worker thread, then repaint those photos."""
        ids = self.selected_ids() if ids is None else ids
        library = self.library
        if library is None or not ids:
            return False
        if library.read_only:
            self.messages.warning(_tr("This library is open read-only: photos cannot be changed."), key="organise")
            return False
        self.pending += 1

        def done(_result, error) -> None:
            self.pending -= 1
            if error is not None:
                self.messages.error(_tr("The photos could not be changed: {error}").format(error=error), error,
                                    key="organise")
            self._changed(ids)

        self.reader.read(f"organise-{next(_serial)}", lambda: change(library.organise, ids), done)
        return True

    def _changed(self, ids: list[int] | None) -> None:
        if self.browser.model is not None:
            self.browser.model.forget(ids)
        viewer = self.browser.viewer
        if self.browser.stack.currentWidget() is viewer and viewer.row >= 0:
            viewer.show_row(viewer.row)
        self.browser.current_changed.emit(self.browser.current_info(), max(1, self.browser.selected_count()))
        self.edited.emit(ids)

    def rotate(self, degrees: int) -> bool:
        return self._edit(lambda org, ids: org.rotate(ids, degrees))

    def toggle_favourite(self) -> bool:
        infos = self._infos(self.selected_ids())
        value = not (infos and all(i.favourite for i in infos))
        return self._edit(lambda org, ids: org.set_favourite(ids, value))

    def toggle_rejected(self) -> bool:
        infos = self._infos(self.selected_ids())
        value = not (infos and all(i.rejected for i in infos))
        return self._edit(lambda org, ids: org.set_rejected(ids, value))

    def set_favourite(self, value: bool) -> bool:
        return self._edit(lambda org, ids: org.set_favourite(ids, value))

    def set_rejected(self, value: bool) -> bool:
        return self._edit(lambda org, ids: org.set_rejected(ids, value))

    def set_rating(self, stars: int) -> bool:
        return self._edit(lambda org, ids: org.set_rating(ids, stars))

    def set_title(self, text: str) -> bool:
        return self._edit(lambda org, ids: org.set_title(ids, text))

    def set_description(self, text: str) -> bool:
        return self._edit(lambda org, ids: org.set_description(ids, text))

    def tag(self, names: list[str]) -> bool:
        return bool(names) and self._edit(lambda org, ids: org.add_tags(ids, names))

    def untag(self, names: list[str]) -> bool:
        return bool(names) and self._edit(lambda org, ids: org.remove_tags(ids, names))

    def ask_add_tags(self) -> None:
        ids = self.selected_ids()
        if self.library is None or not ids:
            return
        self.reader.read("organise-tag-names", lambda: [t.name for t in self.library.organise.tags()],
                         lambda names, error: self._ask(ids, names or [], add=True))

    def ask_remove_tags(self) -> None:
        ids = self.selected_ids()
        if self.library is None or not ids:
            return
        names = sorted({t for info in self._infos(ids) for t in info.tags}, key=str.lower)
        self._ask(ids, names, add=False)

    def _ask(self, ids: list[int], names: list[str], *, add: bool) -> None:
        count = len(ids)
        title = _tr("Add Tags") if add else _tr("Remove Tags")
        if not add:
            prompt = _tr("Tags to remove (comma-separated):")
        elif count > 1:
            prompt = _tr("Tags for {n} photos (comma-separated):").format(n=f"{count:,}")
        else:
            prompt = _tr("Tags for this photo (comma-separated):")
        dialog = self.tag_dialog = TagDialog(title, prompt, names, self.window)
        if not add:
            dialog.edit.setText(", ".join(names))

        def accepted() -> None:
            chosen = dialog.names()
            if not chosen:
                return
            if add:
                self._edit(lambda org, i: org.add_tags(i, chosen), ids)
            else:
                self._edit(lambda org, i: org.remove_tags(i, chosen), ids)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def undo_last(self) -> bool:
        library = self.library
        if library is None or library.read_only:
            return False
        from app.core.undo import NothingToUndo

        self.pending += 1

        def done(label, error) -> None:
            self.pending -= 1
            if isinstance(error, NothingToUndo):
                self.messages.info(_tr("Nothing to undo."), key="undo")
                return
            if error is not None:
                self.messages.error(_tr("Undo failed: {error}").format(error=error), error, key="undo")
                return
            self.messages.info(_tr("Undone: {what}").format(what=label), key="undo")
            self._changed(None)
            self.refresh()

        self.reader.read(f"organise-{next(_serial)}", library.undo.undo_last, done)
        return True

    # -- export ----------------------------------------------------------------------------------------------
    def ask_export(self) -> None:
        ids = self.selected_ids()
        if self.library is None or not ids:
            return
        dialog = self.export_dialog = QFileDialog(self.window, _tr("Export {n} to…").format(
            n=_tr("{n} photos").format(n=f"{len(ids):,}") if len(ids) > 1 else _tr("1 photo")))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        dialog.fileSelected.connect(lambda folder: self.export_to(folder, ids))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def export_to(self, folder: str, ids: list[int] | None = None) -> bool:
        """Copy the originals (verified, never overwriting) with XMP sidecars that carry ratings, tags, titles,
        descriptions and rotations, on a worker thread of its own."""
        ids = self.selected_ids() if ids is None else ids
        library = self.library
        if library is None or not ids:
            return False
        from app.core.exchange.export import Exporter

        self.pending += 1
        self.messages.info(_tr("Exporting {n} to {folder}…").format(n=f"{len(ids):,}", folder=folder), key="export")

        def done(summary, error) -> None:
            self.pending -= 1
            if error is not None:
                self.messages.error(_tr("The export stopped: {error}").format(error=error), error, key="export")
            elif summary.failed:
                self.messages.warning(summary.text(), key="export")
            else:
                self.messages.info(summary.text(), key="export")

        self.exporter.run(lambda: Exporter(library, sidecars=True).export(ids, folder), done)
        return True

    # -- the desktop -----------------------------------------------------------------------------------------
    def _current_file(self) -> str | None:
        info = self.browser.current_info()
        if info is None:
            return None
        present = [p for p in info.paths if p not in info.missing_paths]
        if not present:
            self.messages.warning(_tr("None of this photo's files is on disk any more."), key="organise")
            return None
        return present[0]

    def show_in_file_manager(self) -> bool:
        path = self._current_file()
        return bool(path) and desktop.show_in_file_manager(path)

    def open_with_default_app(self) -> bool:
        path = self._current_file()
        return bool(path) and desktop.open_with_default_app(path)

    def copy_image_to_clipboard(self) -> bool:
        path = self._current_file()
        if not path:
            return False
        info = self.browser.current_info()
        self.pending += 1

        def done(image, error) -> None:
            self.pending -= 1
            if error is not None or image is None:
                self.messages.error(_tr("The image could not be copied: {error}").format(error=error), error,
                                    key="organise")
                return
            from app.ui.images import rotated

            desktop.copy_image(rotated(image, info.rotation), path)
            self.messages.info(_tr("Image copied."), key="organise")

        self.reader.read(f"organise-{next(_serial)}", lambda: read_image(path, COPY_MAX_SIDE), done)
        return True
