"""Duplicates side by side: exact copies (one photo, several files) and near duplicates (similar pictures).

"Keep this one" hides the other photos of a near-duplicate group through the importer; files on disk are never
touched here, and the message offers an Undo. Groups are read, and photos hidden, on the window's reader thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
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
from app.ui.views import Mode, Place, View

GROUPS_PER_PAGE = 40


def _tr(text: str) -> str:
    return QCoreApplication.translate("DuplicatesView", text)

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


class DuplicatesPage(QScrollArea):
    """Emits `keep(photo_id)` when the user picks the photo to keep in a group."""

    keep = Signal(int)

    def __init__(self, loader: ImageLoader, parent=None):
        super().__init__(parent)
        self.loader = loader
        self.groups: list = []
        self.loaded = False
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
        self.more = QPushButton(_tr("Show more groups"))
        self.more.clicked.connect(self._add_page)
        self.setWidget(body)
        self.cards = {}
        self._shown = 0

    def show_reading(self) -> None:
        if not self.loaded:
            self.summary.setText(_tr("Looking for duplicates…"))

    def show_groups(self, groups: list | None) -> None:
        """Show what was read (None: it could not be read)."""
        scroll = self.verticalScrollBar().value()
        self._reset_body()
        self.loaded = True
        self.groups = list(groups or [])
        if groups is None:
            self.summary.setText(_tr("Duplicates cannot be listed."))
            return
        exact = sum(1 for g in self.groups if g.kind == "exact")
        near = len(self.groups) - exact
        if not self.groups:
            self.summary.setText(_tr("No duplicates found. Identical files and very similar photos show up here "
                                     "after an import."))
            return
        self.summary.setText(_tr("{exact} stored in several identical files, {near} of similar photos. \"Keep this "
                                 "one\" hides the others from the library; no file is deleted.").format(
            exact=fmt.count(exact, "photo"), near=fmt.count(near, "group")))
        self._add_page()
        self.verticalScrollBar().setValue(scroll)

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
            card.keep.connect(self.keep)
            self.cards.setdefault(info.id, []).append(card)
            image = self.loader.image(thumbnail_key(info.id), info.thumbnail)
            if image is not None:
                card.set_image(image)
            row.addWidget(card)
        layout.addLayout(row)
        return box

    def _on_image_ready(self, key) -> None:
        if isinstance(key, tuple) and key[0] == "grid":
            for card in self.cards.get(key[1], []):
                card.set_image(self.loader.cached(key))


class DuplicatesView(View):
    mode = Mode.DUPLICATES
    shortcut = "Ctrl+2"

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Duplicates")
        self.widget = DuplicatesPage(context.loader)
        self.widget.keep.connect(self.keep_only)

    def page(self):
        return self.widget

    def set_library(self, library) -> None:
        super().set_library(library)
        self.widget.loaded = False
        self.widget.show_groups([])
        self.widget.loaded = False

    def activate(self, place: Place) -> None:
        self.widget.show_reading()
        self.refresh(True)

    def refresh(self, active: bool) -> None:
        if self.library is None or not active:
            return
        importer = self.library.importer
        self.context.reader.read("duplicates", importer.duplicate_groups, self._arrived)

    def _arrived(self, groups, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("Duplicates cannot be listed: {error}").format(error=error), error,
                                        key="duplicates")
            self.widget.show_groups(None)
            return
        self.widget.show_groups(groups)

    def keep_only(self, photo_id: int) -> None:
        importer = self.library.importer

        def done(hidden, error) -> None:
            if error is not None:
                self.context.messages.error(_tr("Could not hide the other photos: {error}").format(error=error),
                                            error, key="kept")
                return
            hidden = list(hidden)
            self.context.messages.info(
                _tr("Kept one photo and hid {others} (files stay on disk).").format(
                    others=fmt.count(len(hidden), "other")),
                key="kept", actions=[(_tr("Undo"), lambda: self.unhide(hidden))])
            self.context.refresh()

        self.context.reader.read(f"keep-{photo_id}", lambda: importer.keep_only(photo_id), done)  # every one counts

    def unhide(self, photo_ids: list[int]) -> None:
        importer = self.library.importer

        def done(_count, error) -> None:
            if error is not None:
                self.context.messages.error(_tr("Could not show the hidden photos again: {error}").format(
                    error=error), error, key="kept")
                return
            self.context.refresh()

        self.context.reader.read(f"unhide-{photo_ids[:1]}", lambda: importer.unhide(photo_ids), done)
