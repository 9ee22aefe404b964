"""The sidebar: one top-level entry per view (each view makes and fills its own), and navigation by `Place`."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.ui.views import Mode, Place, PlaceRole, View


class Sidebar(QWidget):
    """Emits `navigate(Place)` when the user picks an entry."""

    navigate = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.currentItemChanged.connect(self._on_current)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self._items: dict[Mode, QTreeWidgetItem] = {}
        self._views: dict[int, View] = {}  # id of a top-level item -> its view
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)

    def add_view(self, view: View) -> None:
        item = view.sidebar_item()
        self._items[view.mode] = item
        self._views[id(item)] = view
        self.tree.addTopLevelItem(item)

    def menu_for(self, item: QTreeWidgetItem) -> list:
        """The actions a right-click on `item` offers (its view decides)."""
        view = self._views.get(id(_top(item)))
        if view is None:
            return []
        place = item.data(0, PlaceRole) if item.parent() is not None else None
        return view.sidebar_menu(place if isinstance(place, Place) else None)

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        actions = self.menu_for(item) if item is not None else []
        if actions:
            menu = QMenu(self)
            menu.addActions(actions)
            menu.exec(self.tree.viewport().mapToGlobal(pos))

    def item(self, mode: Mode) -> QTreeWidgetItem:
        return self._items[mode]

    def select(self, mode: Mode) -> None:
        """Show where the user is without navigating again."""
        item = self._items.get(mode)
        current = self.tree.currentItem()
        if item is None or current is item or (current is not None and _top(current) is item):
            return
        self.tree.blockSignals(True)
        self.tree.setCurrentItem(item)
        self.tree.blockSignals(False)

    def _on_current(self, item: QTreeWidgetItem | None, _previous) -> None:
        place = item.data(0, PlaceRole) if item is not None else None
        if isinstance(place, Place):
            self.navigate.emit(place)


def _top(item: QTreeWidgetItem) -> QTreeWidgetItem:
    while item.parent() is not None:
        item = item.parent()
    return item
