"""The sidebar: one top-level entry per view (each view makes and fills its own), and navigation by `Place`.

Its context menu and drops (photos dragged from the grid onto an album) go to the view that owns the entry."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
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
        self.tree.itemActivated.connect(lambda item, _column: self._on_current(item, None))  # Enter: go (again)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.setAcceptDrops(True)
        self.tree.viewport().installEventFilter(self)
        self._items: dict[Mode, QTreeWidgetItem] = {}
        self._views: dict[Mode, View] = {}
        self._drop_target: QTreeWidgetItem | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)

    def add_view(self, view: View) -> None:
        item = view.sidebar_item()
        self._items[view.mode] = item
        self._views[view.mode] = view
        self.tree.addTopLevelItem(item)

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

    # -- context menu and drops: asked of the view that owns the entry ---------------------------------------
    def _place_at(self, pos) -> tuple[Place | None, View | None, QTreeWidgetItem | None]:
        item = self.tree.itemAt(pos)
        place = item.data(0, PlaceRole) if item is not None else None
        if not isinstance(place, Place):
            return None, None, item
        return place, self._views.get(place.mode), item

    def _context_menu(self, pos) -> None:
        place, view, _item = self._place_at(pos)
        actions = view.sidebar_actions(place) if view is not None else []
        if actions:
            menu = QMenu(self)
            menu.addActions(actions)
            menu.popup(self.tree.viewport().mapToGlobal(pos))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.DragEnter:
            if any(v.accepts_drop(None, event.mimeData()) for v in self._views.values()):
                event.acceptProposedAction()
                return True
            return False  # not ours (files to import): the window takes them
        if kind in (QEvent.Type.DragMove, QEvent.Type.Drop):
            place, view, item = self._place_at(event.position().toPoint())
            ok = view is not None and view.accepts_drop(place, event.mimeData())
            self._mark_drop_target(item if ok and kind == QEvent.Type.DragMove else None)
            if not ok:
                event.ignore()
                return True
            event.acceptProposedAction()
            if kind == QEvent.Type.Drop:
                view.drop(place, event.mimeData())
            return True
        if kind == QEvent.Type.DragLeave:
            self._mark_drop_target(None)
        return False

    def _mark_drop_target(self, item: QTreeWidgetItem | None) -> None:
        """Highlight the entry photos would be dropped on (without selecting it, which would navigate)."""
        if item is self._drop_target:
            return
        if self._drop_target is not None:
            try:
                self._drop_target.setData(0, Qt.ItemDataRole.BackgroundRole, None)
            except RuntimeError:  # the entry was rebuilt meanwhile (a refresh): nothing left to unmark
                pass
        self._drop_target = item
        if item is not None:
            item.setData(0, Qt.ItemDataRole.BackgroundRole, self.palette().highlight())


def _top(item: QTreeWidgetItem) -> QTreeWidgetItem:
    while item.parent() is not None:
        item = item.parent()
    return item
