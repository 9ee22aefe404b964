"""Folders: the photos of one imported folder; the sidebar lists the folders with their photo counts."""

from __future__ import annotations

from pathlib import PurePath

from PySide6.QtCore import QCoreApplication

from app.ui import format as fmt
from app.ui.views import Mode, Place, PlaceRole, View, sidebar_child


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
    mode = Mode.FOLDER

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Folders")

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
        tree = item.treeWidget()
        if tree is not None:
            tree.blockSignals(True)
        current = tree.currentItem() if tree is not None else None
        current_place = current.data(0, PlaceRole) if current is not None else None
        item.takeChildren()
        for folder in folders:
            child = sidebar_child(item, f"{folder_name(folder.path)}  ({folder.photo_count:,})",
                                  Place(self.mode, folder.id), folder.path)
            if current_place == Place(self.mode, folder.id) and tree is not None:
                tree.setCurrentItem(child)
        item.setExpanded(True)
        if tree is not None:
            tree.blockSignals(False)
