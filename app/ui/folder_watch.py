"""Keeps the library in step with its folders while the window is open: watches the imported folders (not paused,
present) and turns each burst of changes on disk into one quiet import of the folders concerned; rescans them all
once when the library opens (cheap: unchanged files are skipped by size and time)."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject

from app.core.ingest.watch import FolderWatcher
from app.ui.import_controller import ImportController
from app.ui.reader import Reader


class WatchedFolders(QObject):
    def __init__(self, imports: ImportController, reader: Reader, parent=None, **watcher_options):
        super().__init__(parent)
        self.imports = imports
        self.reader = reader
        self.library = None
        self.watcher = FolderWatcher(self, **watcher_options)
        self.watcher.changed.connect(self._on_changed)
        self._waiting: set[str] = set()  # changed while an import ran: imported when it ends
        imports.finished.connect(self._on_import_finished)

    def set_library(self, library) -> None:
        self.watcher.stop()
        self._waiting.clear()
        self.library = library
        if library is not None and not library.read_only:
            self.watcher.ignore([str(library.root)])

    def update(self, then=None) -> None:
        """Read which folders to watch (off the GUI thread) and watch exactly those."""
        library = self.library
        if library is None or library.read_only:
            return

        def watch(folders, error):
            if error is None and library is self.library:
                self.watcher.watch([path for _, path in folders])
                if then is not None:
                    then([path for _, path in folders])

        self.reader.read("watched-folders", library.folders.watched, watch)

    def rescan_all(self) -> None:
        """Watch the library's folders and pick up what changed while the app was closed."""
        self.update(then=lambda paths: self._import([p for p in paths if not self._being_imported(p)]))

    def _being_imported(self, path: str) -> bool:
        return any(os.path.normpath(p) == os.path.normpath(path)
                   for group in self.imports.groups.values() for p in group["paths"])

    def stop(self) -> None:
        self.watcher.stop()

    def _on_changed(self, roots: list[str]) -> None:
        self._import(roots)

    def _import(self, roots: list[str]) -> None:
        if not roots or self.library is None:
            return
        if self.imports.active:
            self._waiting.update(roots)
        else:
            self.imports.start(sorted(roots), quiet=True)

    def _on_import_finished(self, _group_id: int) -> None:
        self.update()  # a newly imported folder is watched from now on
        self._import_waiting()

    def _import_waiting(self) -> None:
        if self._waiting and not self.imports.active:
            roots, self._waiting = sorted(self._waiting), set()
            self.imports.start(roots, quiet=True)
