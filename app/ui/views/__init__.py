"""The window's views: each sidebar section is one module here that plugs into the main window.

A view provides its sidebar entry, its page (or the shared photo grid) and its actions through the small `View`
interface below; the main window only hosts them, and adding a view touches no other view. A view reads the
library only through `context.reader` (off the GUI thread) and talks to the user only through
`context.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QTreeWidgetItem, QWidget

if TYPE_CHECKING:
    from app.ui.browser import PhotoBrowser
    from app.ui.images import ImageLoader
    from app.ui.messages import MessageBridge
    from app.ui.reader import Reader


class Mode(Enum):
    """Where the user is; the order is the sidebar's."""

    LIBRARY = "library"
    FOLDER = "folder"
    DUPLICATES = "duplicates"
    SEARCH = "search"
    TAGS = "tags"
    PEOPLE = "people"
    EVENTS = "events"
    ALBUMS = "albums"
    MAP = "map"
    ACTIVITY = "activity"


@dataclass(frozen=True)
class Place:
    """A destination: a mode and what in it (a library row to scroll to, a folder id, a search description)."""

    mode: Mode
    value: object = None


PlaceRole = Qt.ItemDataRole.UserRole + 1


@dataclass
class ViewContext:
    """What every view may use: the window (parent for dialogs), messages, reads, the photo grid, images."""

    window: QWidget
    messages: "MessageBridge"
    reader: "Reader"
    browser: "PhotoBrowser"
    loader: "ImageLoader"
    navigate: Callable[[Place], None]
    refresh: Callable[[], None]  # the view changed the library itself: refresh what shows it now
    start_import: Callable[[list[str]], object] | None = None  # import (or rescan) these paths


class View(QObject):
    """One sidebar section. Subclasses set `mode` and `title`, and override what they need."""

    mode: Mode
    title: str = ""
    shortcut: str | None = None  # e.g. "Ctrl+1": the View menu's entry for it
    enabled = True
    why_disabled = ""

    def __init__(self, context: ViewContext):
        super().__init__(context.window)
        self.context = context
        self.library = None
        self.is_current = False  # kept by the window
        self._item: QTreeWidgetItem | None = None

    # -- what the window asks ------------------------------------------------------------------------------
    def sidebar_item(self) -> QTreeWidgetItem:
        """The view's top-level sidebar entry (made once; the view may add children to it)."""
        if self._item is None:
            self._item = QTreeWidgetItem([self.title])
            self._item.setData(0, PlaceRole, Place(self.mode) if self.enabled else None)
            if not self.enabled:
                self._item.setFlags(Qt.ItemFlag.NoItemFlags)
                self._item.setToolTip(0, self.why_disabled)
                self._item.setStatusTip(0, self.why_disabled)
        return self._item

    def sidebar_actions(self, place: Place) -> list[QAction]:
        """Actions for the sidebar's context menu on this view's entry `place` (rename an album, ...)."""
        return []

    def accepts_drop(self, place: Place | None, mime) -> bool:
        """Whether `mime` (photos dragged from the grid) can be dropped on the entry `place` (None: anywhere
        in this view's entries)."""
        return False

    def drop(self, place: Place, mime) -> None:
        """What `accepts_drop` agreed to was dropped on `place`."""

    def page(self) -> QWidget | None:
        """The view's own page; None shows the shared photo grid."""
        return None

    def menu_actions(self) -> dict[str, list[QAction]]:
        """Actions by menu ("Edit", "View", "Photo"); the window adds them to its menus."""
        return {}

    def toolbar_widgets(self) -> list[QWidget]:
        return []

    def status_widgets(self) -> list[QWidget]:
        return []

    def engine_started(self) -> None:
        """The library's task engine runs (after the first paint)."""

    def wait(self) -> None:
        """Let the view's own background work finish (before the library closes)."""

    def set_library(self, library) -> None:
        self.library = library

    def activate(self, place: Place) -> None:
        """The user navigated here."""

    def refresh(self, active: bool) -> None:
        """The library changed (coalesced): update the sidebar entry, and the page when `active`."""

    @staticmethod
    def tr_(text: str) -> str:
        return QCoreApplication.translate("View", text)


@contextmanager
def refilled(item: QTreeWidgetItem) -> Iterator[Callable[..., None]]:
    """Replace `item`'s children without the sidebar navigating. Yields `keep(child, also=False)`, which
    selects a new child again when it stands for the place that was selected (or when `also`)."""
    tree = item.treeWidget()
    if tree is not None:
        tree.blockSignals(True)
    current = tree.currentItem() if tree is not None else None
    selected = current.data(0, PlaceRole) if current is not None else None
    item.takeChildren()

    def keep(child: QTreeWidgetItem, also: bool = False) -> None:
        if tree is not None and (also or child.data(0, PlaceRole) == selected):
            tree.setCurrentItem(child)

    try:
        yield keep
    finally:
        if tree is not None:
            tree.blockSignals(False)


def sidebar_child(parent: QTreeWidgetItem, text: str, place: Place, tooltip: str = "") -> QTreeWidgetItem:
    item = QTreeWidgetItem([text])
    item.setData(0, PlaceRole, place)
    if tooltip:
        item.setToolTip(0, tooltip)
    parent.addChild(item)
    return item


def default_views(context: ViewContext) -> list[View]:
    """Every view, in sidebar order. A new view is one module and one line here."""
    from app.ui.views.activity import ActivityView
    from app.ui.views.albums import AlbumsView
    from app.ui.views.duplicates import DuplicatesView
    from app.ui.views.events import EventsView
    from app.ui.views.folders import FoldersView
    from app.ui.views.library import LibraryView
    from app.ui.views.map import MapView
    from app.ui.views.people import PeopleView
    from app.ui.views.search import SearchView
    from app.ui.views.tags import TagsView

    kinds = [LibraryView, FoldersView, DuplicatesView, SearchView, TagsView, PeopleView, EventsView, AlbumsView,
             MapView, ActivityView]
    return [kind(context) for kind in kinds]
