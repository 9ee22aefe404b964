"""The sidebar: where the user is (library by date, a folder, duplicates, search) and what comes later.

People, Events and Albums are listed but disabled with an explanation, so the shape of the app is visible
without pretending those features exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.ui import format as fmt

if TYPE_CHECKING:
    from app.core.photos import FolderInfo, MonthCount

KindRole = Qt.ItemDataRole.UserRole + 1
ValueRole = Qt.ItemDataRole.UserRole + 2

NOT_YET = {
    "people": ("People", "Faces are not detected yet: grouping photos by person arrives in a later version."),
    "events": ("Events", "Photos are not grouped into events yet: that arrives in a later version."),
    "albums": ("Albums", "Albums are not available yet: they arrive in a later version."),
}


class Sidebar(QWidget):
    """Emits `navigate(kind, value)`: ("library", None), ("month", row), ("folder", id), ("duplicates", None),
    ("search", None)."""

    navigate = Signal(str, object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.library = self._item(None, "Library", "library")
        self.folders = self._item(None, "Folders", "folders")
        self.duplicates = self._item(None, "Duplicates", "duplicates")
        self.search = self._item(None, "Search", "search")
        self.search.setToolTip(0, "Type in the search box in the toolbar (Ctrl+F)")
        self.disabled: dict[str, QTreeWidgetItem] = {}
        for kind, (label, why) in NOT_YET.items():
            item = self._item(None, label, kind)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setToolTip(0, why)
            item.setStatusTip(0, why)
            self.disabled[kind] = item
        self.library.setExpanded(True)
        self.tree.currentItemChanged.connect(self._on_current)
        note = QLabel("People, Events and Albums arrive in a later version.")
        note.setWordWrap(True)
        note.setEnabled(False)
        note.setContentsMargins(6, 4, 6, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addWidget(note)

    def _item(self, parent, text: str, kind: str, value=None) -> QTreeWidgetItem:
        item = QTreeWidgetItem([text])
        item.setData(0, KindRole, kind)
        item.setData(0, ValueRole, value)
        if parent is None:
            self.tree.addTopLevelItem(item)
        else:
            parent.addChild(item)
        return item

    def set_library_contents(self, total: int, months: list["MonthCount"], folders: list["FolderInfo"]) -> None:
        """Years and months (with the grid row where each starts) under Library, folders under Folders."""
        self.tree.blockSignals(True)
        self.library.setText(0, f"Library  ({total:,})")
        self.library.takeChildren()
        row = 0
        years: dict[str, QTreeWidgetItem] = {}
        for month in months:
            year = month.month[:4] if month.month else "No date"
            if year not in years:
                years[year] = self._item(self.library, year, "month", row)
            if month.month:
                self._item(years[year], f"{fmt.month_label(month.month)}  ({month.count:,})", "month", row)
            row += month.count
        self.folders.takeChildren()
        for folder in folders:
            item = self._item(self.folders, f"{folder.path.rstrip('/').rsplit('/', 1)[-1] or folder.path}"
                                             f"  ({folder.photo_count:,})", "folder", folder.id)
            item.setToolTip(0, folder.path)
        self.folders.setExpanded(True)
        self.tree.blockSignals(False)

    def select(self, kind: str) -> None:
        item = {"library": self.library, "duplicates": self.duplicates, "search": self.search}.get(kind)
        if item is not None:
            self.tree.blockSignals(True)
            self.tree.setCurrentItem(item)
            self.tree.blockSignals(False)

    def _on_current(self, item: QTreeWidgetItem | None, _previous) -> None:
        if item is None:
            return
        kind = item.data(0, KindRole)
        if kind == "folders":
            return
        self.navigate.emit(kind, item.data(0, ValueRole))
