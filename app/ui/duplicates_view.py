"""Duplicates side by side: exact copies (one photo, several files) and near duplicates (similar pictures).

"Keep this one" hides the other photos of a near-duplicate group through the importer; files on disk are never
touched here, and the window offers an Undo.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.ui import format as fmt
from app.ui.grid_model import thumbnail_key
from app.ui.images import ImageLoader

GROUPS_PER_PAGE = 40
CARD_PX = 200


class PhotoCard(QFrame):
    keep = Signal(int)

    def __init__(self, info, can_keep: bool, parent=None):
        super().__init__(parent)
        self.photo_id = info.id
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.image = QLabel("loading…")
        self.image.setFixedSize(CARD_PX, CARD_PX)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        dims = f"{info.width} × {info.height}" if info.width and info.height else "size unknown"
        caption = QLabel(f"{dims} · {fmt.file_size(info.size)}\n{fmt.date_time(info.taken_at)}\n"
                         + "\n".join(info.paths))
        caption.setWordWrap(True)
        caption.setMaximumWidth(CARD_PX + 60)
        caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetFixedSize)  # cards never squeeze their picture
        layout.addWidget(self.image)
        layout.addWidget(caption)
        if can_keep:
            self.keep_button = QPushButton("Keep this one")
            self.keep_button.setToolTip("Hide the other photos of this group (their files stay on disk)")
            self.keep_button.clicked.connect(lambda: self.keep.emit(self.photo_id))
            layout.addWidget(self.keep_button)

    def set_image(self, image) -> None:
        if image is None or image.isNull():
            self.image.setText("no thumbnail")
            return
        pixmap = QPixmap.fromImage(image).scaled(CARD_PX, CARD_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        self.image.setPixmap(pixmap)


class DuplicatesView(QScrollArea):
    """Emits `kept(photo_id, hidden_ids)` after "Keep this one", and `message(text, level, details)`."""

    kept = Signal(int, list)
    message = Signal(str, str, str)

    def __init__(self, loader: ImageLoader, parent=None):
        super().__init__(parent)
        self.loader = loader
        self.library = None
        self.groups: list = []
        self.cards: dict[int, list[PhotoCard]] = {}  # a photo can be in an exact and a near group
        self._shown = 0
        self.setWidgetResizable(True)
        loader.image_ready.connect(self._on_image_ready)
        self._reset_body()

    def _reset_body(self) -> None:
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self._layout.addWidget(self.summary)
        self.more = QPushButton("Show more groups")
        self.more.clicked.connect(self._add_page)
        self.setWidget(body)
        self.cards = {}
        self._shown = 0

    def set_library(self, library) -> None:
        self.library = library
        self.groups = []
        self._reset_body()

    def refresh(self) -> None:
        self._reset_body()
        if self.library is None:
            return
        try:
            self.groups = self.library.importer.duplicate_groups()
        except Exception as exc:  # noqa: BLE001 - e.g. the importer is not installed
            self.groups = []
            self.summary.setText("Duplicates cannot be listed.")
            self.message.emit(f"Duplicates cannot be listed: {exc}", "error", repr(exc))
            return
        exact = sum(1 for g in self.groups if g.kind == "exact")
        near = len(self.groups) - exact
        if not self.groups:
            self.summary.setText("No duplicates found. Identical files and very similar photos show up here "
                                 "after an import.")
            return
        self.summary.setText(
            f"{fmt.count(exact, 'photo')} stored in several identical files, {fmt.count(near, 'group')} of "
            "similar photos. \"Keep this one\" hides the others from the library; no file is deleted.")
        self._add_page()

    def _add_page(self) -> None:
        self._layout.removeWidget(self.more)
        self.more.hide()
        for group in self.groups[self._shown:self._shown + GROUPS_PER_PAGE]:
            self._layout.addWidget(self._group_widget(group))
        self._shown = min(len(self.groups), self._shown + GROUPS_PER_PAGE)
        if self._shown < len(self.groups):
            self._layout.addWidget(self.more)
            self.more.setText(f"Show more groups ({len(self.groups) - self._shown:,} left)")
            self.more.show()

    def _group_widget(self, group) -> QWidget:
        box = QFrame()
        box.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(box)
        if group.kind == "exact":
            files = sum(len(p.paths) for p in group.photos)
            title = f"Identical files: one photo stored {files} times"
        else:
            title = f"Similar photos: {len(group.photos)} near duplicates"
        header = QLabel(f"<b>{title}</b>")
        layout.addWidget(header)
        row = QHBoxLayout()
        row.setAlignment(Qt.AlignmentFlag.AlignLeft)
        for info in group.photos:
            card = PhotoCard(info, can_keep=group.kind == "near" and len(group.photos) > 1)
            card.keep.connect(self.keep_only)
            self.cards.setdefault(info.id, []).append(card)
            image = self.loader.image(thumbnail_key(info.id), info.thumbnail)
            if image is not None:
                card.set_image(image)
            row.addWidget(card)
        layout.addLayout(row)
        return box

    def keep_only(self, photo_id: int) -> None:
        try:
            hidden = list(self.library.importer.keep_only(photo_id))
        except Exception as exc:  # noqa: BLE001
            self.message.emit(f"Could not hide the other photos: {exc}", "error", repr(exc))
            return
        self.kept.emit(photo_id, hidden)
        self.refresh()

    def _on_image_ready(self, key) -> None:
        if isinstance(key, tuple) and key[0] == "grid":
            for card in self.cards.get(key[1], []):
                card.set_image(self.loader.cached(key))
