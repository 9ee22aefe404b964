"""A wrapping list of cards (a cover thumbnail, a title, a count) with optional full-width headings: the Events
page (cards by year) and the Albums page use it.

A card is a QListWidget item in icon mode; covers come from the shared image loader and are set when they
arrive. A plain click opens a card; Ctrl/Shift-click selects several (to merge two events, say)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QApplication, QListView, QListWidget, QListWidgetItem

from app.ui.grid_model import thumbnail_key
from app.ui.images import ImageLoader

KeyRole = Qt.ItemDataRole.UserRole + 1  # the card's key (an event or album id); headings have none
CoverRole = Qt.ItemDataRole.UserRole + 2  # the cover photo's id
COVER = QSize(200, 150)
CARD = QSize(212, 196)
HEADING_HEIGHT = 40


class CardList(QListWidget):
    """Emits `opened(key)` on a plain click or Enter, `menu_requested(key, global_pos)` on a right click."""

    opened = Signal(object)
    menu_requested = Signal(object, object)

    def __init__(self, loader: ImageLoader, parent=None):
        super().__init__(parent)
        self.loader = loader
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setWordWrap(True)
        self.setSpacing(6)
        self.setIconSize(COVER)
        self.setUniformItemSizes(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_menu)
        self.itemClicked.connect(self._on_clicked)
        self.itemActivated.connect(lambda item: self._open(item))
        self._cards_by_cover: dict[int, list[QListWidgetItem]] = {}
        self._headings: dict[str, QListWidgetItem] = {}
        self._placeholder = QPixmap(COVER)
        self._placeholder.fill(self.palette().alternateBase().color().darker(108))
        loader.image_ready.connect(self._on_image_ready)

    # -- filling ------------------------------------------------------------------------------------------
    def clear_cards(self) -> None:
        self.clear()
        self._cards_by_cover.clear()
        self._headings.clear()

    def add_heading(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        item.setFont(font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # not selectable; enabled keeps the normal text colour
        item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        item.setSizeHint(QSize(self._heading_width(), HEADING_HEIGHT))
        self.addItem(item)
        self._headings[text] = item
        return item

    def add_card(self, key: object, text: str, cover_id: int | None, cover_path: str | None,
                 tooltip: str = "") -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setData(KeyRole, key)
        item.setData(CoverRole, cover_id)
        item.setSizeHint(CARD)
        item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        if tooltip:
            item.setToolTip(tooltip)
        image = self.loader.image(thumbnail_key(cover_id), cover_path) if cover_id and cover_path else None
        self._set_cover(item, image)
        if cover_id:
            self._cards_by_cover.setdefault(cover_id, []).append(item)
        self.addItem(item)
        return item

    def scroll_to_heading(self, text: str) -> bool:
        item = self._headings.get(text)
        if item is None:
            return False
        self.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtTop)
        return True

    # -- reading ------------------------------------------------------------------------------------------
    def cards(self) -> list[QListWidgetItem]:
        return [self.item(i) for i in range(self.count()) if self.item(i).data(KeyRole) is not None]

    def card(self, key: object) -> QListWidgetItem | None:
        return next((item for item in self.cards() if item.data(KeyRole) == key), None)

    def selected_keys(self) -> list[object]:
        return [item.data(KeyRole) for item in self.selectedItems() if item.data(KeyRole) is not None]

    # -- behaviour ----------------------------------------------------------------------------------------
    def _heading_width(self) -> int:
        return max(200, self.viewport().width() - 4 * self.spacing())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        width = self._heading_width()
        for item in self._headings.values():
            if item.sizeHint().width() != width:
                item.setSizeHint(QSize(width, HEADING_HEIGHT))

    def _set_cover(self, item: QListWidgetItem, image) -> None:
        if image is None or image.isNull():
            item.setIcon(QIcon(self._placeholder))
            return
        pixmap = QPixmap.fromImage(image).scaled(COVER, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        item.setIcon(QIcon(pixmap))

    def _on_image_ready(self, key) -> None:
        if isinstance(key, tuple) and key[0] == "grid":
            for item in self._cards_by_cover.get(key[1], []):
                self._set_cover(item, self.loader.cached(key))

    def _on_clicked(self, item: QListWidgetItem) -> None:
        modifiers = QApplication.keyboardModifiers()
        if not modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
                            | Qt.KeyboardModifier.MetaModifier):
            self._open(item)

    def _open(self, item: QListWidgetItem) -> None:
        key = item.data(KeyRole)
        if key is not None:
            self.opened.emit(key)

    def _on_menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None or item.data(KeyRole) is None:
            return
        if not item.isSelected():
            self.clearSelection()
            item.setSelected(True)
        self.menu_requested.emit(item.data(KeyRole), self.viewport().mapToGlobal(pos))
