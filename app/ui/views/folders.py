"""Folders: the photos of one imported folder; the sidebar lists the folders with their photo counts."""

from __future__ import annotations

from pathlib import PurePath

from PySide6.QtCore import QCoreApplication, QStandardPaths, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.ui import format as fmt
from app.ui.views import Mode, Place, PlaceRole, View, refilled, sidebar_child


def _tr(text: str) -> str:
    return QCoreApplication.translate("FoldersView", text)


def folder_name(path: str) -> str:
    """The last part of a folder path, Windows or POSIX ("C:\\\\Photos\\\\Trip" -> "Trip")."""
    name = PurePath(path).name
    if not name and "\\" in path:
        name = path.rstrip("\\").rsplit("\\", 1)[-1]
    if "\\" in name:  # a Windows path read on POSIX
        name = name.rstrip("\\").rsplit("\\", 1)[-1]
    return name or path


class FoldersView(View):
    """Also where folders are managed (right-click): add, rescan, pause or resume watching, remove."""

    mode = Mode.FOLDER
    folders_changed = Signal()  # paused, resumed or removed: what is watched changes

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Folders")
        self._folders: dict[int, object] = {}  # id -> FolderInfo, as last shown

    def sidebar_item(self):
        item = super().sidebar_item()
        item.setData(0, PlaceRole, None)  # the heading itself is not a place; its folders are
        return item

    def set_library(self, library) -> None:
        super().set_library(library)
        self.sidebar_item().takeChildren()

    def activate(self, place: Place) -> None:
        if place.value is None:
            return
        photos, folder_id = self.library.photos, place.value
        self.context.browser.show_source(place, lambda: photos.ordered_ids(folder_id=folder_id),
                                         lambda rows: fmt.count(rows, _tr("photo")), _tr("No photos in this folder."))

    def refresh(self, active: bool) -> None:
        if self.library is not None:
            self.context.reader.read("sidebar-folders", self.library.photos.folders, self._show_folders)

    def _show_folders(self, folders, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The folders could not be read: {error}").format(error=error), error,
                                        key="sidebar")
            return
        item = self.sidebar_item()
        with refilled(item) as keep:
            self._folders = {folder.id: folder for folder in folders}
            for folder in folders:
                state = "" if folder.online and not folder.paused else (
                    _tr(" · offline") if not folder.online else _tr(" · paused"))
                tooltip = folder.path + (_tr("\nNot there now (an unplugged drive?): its photos are offline, not "
                                             "missing.") if not folder.online else "")
                keep(sidebar_child(item, f"{folder_name(folder.path)}  ({folder.photo_count:,}){state}",
                                   Place(self.mode, folder.id), tooltip))
            item.setExpanded(True)

    # -- managing folders (the sidebar's right-click menu) -------------------------------------------------------
    def sidebar_actions(self, place: Place) -> list[QAction]:
        if self.library is None or self.library.read_only:
            return []
        add = QAction(_tr("Add Folder…"), self)
        add.triggered.connect(self.choose_folder_to_add)
        folder = self._folders.get(place.value) if place is not None else None
        if folder is None:
            return [add]
        rescan = QAction(_tr("Rescan"), self)
        rescan.setEnabled(folder.online)
        rescan.triggered.connect(lambda: self._import([folder.path]))
        pause = QAction(_tr("Resume Watching") if folder.paused else _tr("Pause Watching"), self)
        pause.triggered.connect(lambda: self.set_paused(folder.id, not folder.paused))
        remove = QAction(_tr("Remove from Library…"), self)
        remove.triggered.connect(lambda: self.confirm_remove(folder.id))
        return [rescan, pause, remove, add]

    def choose_folder_to_add(self) -> None:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        path = QFileDialog.getExistingDirectory(self.context.window, _tr("Add Folder"), start)
        if path:
            self._import([path])

    def _import(self, paths: list[str]) -> None:
        if self.context.start_import is not None:
            self.context.start_import(paths)

    def set_paused(self, folder_id: int, paused: bool) -> None:
        folders = self.library.folders
        self.context.reader.read(f"folder-pause-{folder_id}", lambda: folders.set_paused(folder_id, paused),
                                 self._changed)

    def confirm_remove(self, folder_id: int) -> None:
        folder = self._folders.get(folder_id)
        if folder is None:
            return
        answer = QMessageBox.question(
            self.context.window, _tr("Remove Folder"),
            _tr("Remove “{name}” and its {count} photos from the library?\n\nThe files stay on disk; names, "
                "albums and notes of these photos are forgotten. Importing the folder again brings the photos "
                "back.").format(name=folder_name(folder.path), count=f"{folder.photo_count:,}"))
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(folder_id)

    def remove(self, folder_id: int) -> None:
        folders = self.library.folders
        self.context.reader.read(f"folder-remove-{folder_id}", lambda: folders.remove(folder_id), self._changed)

    def _changed(self, _result, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The folder could not be changed: {error}").format(error=error), error,
                                        key="folders")
        self.folders_changed.emit()
        self.context.refresh()
