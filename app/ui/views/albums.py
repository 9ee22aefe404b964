"""Albums: hand-made albums (photos chosen by the user) and smart albums (a saved query, live), in the sidebar.

Create, rename and delete albums (deleting never touches a photo or a file); add photos by dragging them from the
grid onto an album in the sidebar or with Photo → Add to Album (the grid's context menu, multi-select); remove
them, choose the cover, order by date or by hand (Move Earlier / Later). Every edit can be undone (Ctrl+Z, the
same persisted log as `shoebox undo`). A smart album is its query's answer whenever it is read, so photos
imported later appear in it as the live watcher refreshes the window. Writes and reads run off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui import format as fmt
from app.ui.export_dialog import ExportSource, ask_export
from app.ui.grid_model import PHOTO_IDS_MIME
from app.ui.views import Mode, Place, View, refilled, sidebar_child
from app.ui.views.cards import CardList
from app.ui.views.edits import run_edit, undo_last
from app.ui.views.summary_bar import SummaryBar, open_photo, read_summary


def _tr(text: str) -> str:
    return QCoreApplication.translate("AlbumsView", text)


def selected_photo_ids(browser) -> list[int]:
    """The photos selected in the grid, in grid order (the current one when nothing is selected)."""
    model, view = browser.model, browser.grid_view
    if model is None or view.selectionModel() is None:
        return []
    rows = sorted({i.row() for i in view.selectionModel().selectedIndexes()})
    if not rows and view.currentIndex().isValid():
        rows = [view.currentIndex().row()]
    return [model.photo_id(r) for r in rows if r < model.rowCount()]


def dropped_ids(mime) -> list[int]:
    raw = bytes(mime.data(PHOTO_IDS_MIME)).decode(errors="replace")
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]


def moved(ids: list[int], selected: set[int], earlier: bool) -> list[int]:
    """`ids` with each selected photo one place earlier (or later), selected neighbours moving together."""
    order = list(ids) if earlier else list(reversed(ids))
    for i in range(1, len(order)):
        if order[i] in selected and order[i - 1] not in selected:
            order[i - 1], order[i] = order[i], order[i - 1]
    return order if earlier else list(reversed(order))


class SmartAlbumDialog(QDialog):
    """Name and query of a smart album; the query is checked before the dialog closes."""

    def __init__(self, parent, name: str = "", query: str = ""):
        super().__init__(parent)
        self.setWindowTitle(_tr("New Smart Album"))
        self.name = QLineEdit(name)
        self.query = QLineEdit(query)
        self.query.setMinimumWidth(360)
        self.query.setPlaceholderText('camera:canon year:2019 -place:Boston')
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("font-family: monospace")
        help_text = QLabel(_tr("Photos that match the query, now and whenever more are imported. Filters: place: "
                               "camera: year: date: album: event: has:gps type:, - to leave out, OR."))
        help_text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(_tr("Name:"), self.name)
        form.addRow(_tr("Query:"), self.query)
        form.addRow(help_text)
        form.addRow(self.error)
        form.addRow(buttons)

    def _check(self) -> None:
        from app.core.search.query import QueryError, parse

        if not self.name.text().strip():
            self.error.setText(_tr("An album needs a name."))
            return
        try:
            parse(self.query.text())
        except QueryError as exc:
            self.error.setText(exc.describe())
            return
        self.accept()


class AlbumsPage(QWidget):
    def __init__(self, loader, parent=None):
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.new_button = QPushButton(_tr("New Album…"))
        self.new_smart_button = QPushButton(_tr("New Smart Album…"))
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.new_smart_button)
        self.cards = CardList(loader)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.addLayout(top)
        layout.addWidget(self.cards, 1)


def read_albums(library) -> tuple[list, dict[int, str]]:
    """On the reader thread: every album (smart ones evaluated now) and the covers' thumbnail paths."""
    albums = library.albums.list()
    covers = [a.cover_photo_id or (a.photo_ids[0] if a.photo_ids else None) for a in albums]
    thumbs = {info.id: info.thumbnail for info in library.photos.get_many([c for c in covers if c])}
    return albums, thumbs


def cover_of(album) -> int | None:
    return album.cover_photo_id or (album.photo_ids[0] if album.photo_ids else None)


class AlbumsView(View):
    mode = Mode.ALBUMS

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Albums")
        self.albums: dict[int, object] = {}  # id -> AlbumInfo, as last read
        self.loaded = False
        self.place = Place(self.mode)
        self.widget = AlbumsPage(context.loader)
        self.widget.cards.opened.connect(lambda album_id: self.context.navigate(Place(self.mode, album_id)))
        self.widget.cards.menu_requested.connect(lambda album_id, pos: self._popup(self._album_actions(album_id), pos))
        self.widget.new_button.clicked.connect(self.ask_create)
        self.widget.new_smart_button.clicked.connect(lambda: self.ask_create_smart())
        self.summary_bar = SummaryBar(context.loader)  # over an album's photos
        self.summary_bar.photo_clicked.connect(lambda photo_id: open_photo(self.context, photo_id))

        def action(text, slot, shortcut=None, tip=""):
            act = QAction(text, self, triggered=lambda _=False: slot())
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            if tip:
                act.setToolTip(tip)
            return act

        self.new_action = action(_tr("New &Album…"), self.ask_create, "Ctrl+Shift+N",
                                 _tr("A new album (with the selected photos, if any)"))
        self.new_smart_action = action(_tr("New S&mart Album…"), self.ask_create_smart)
        # No shortcut and not in a menu: Edit → Undo (Ctrl+Z, app.ui.organise_actions) undoes the newest entry
        # of the same persisted log, album and event edits included; two actions on one key would both go dead.
        self.undo_action = action(_tr("&Undo Album or Event Change"), lambda: undo_last(self.context, self.library))
        self.export_action = action(_tr("&Export…"), self.ask_export, "Ctrl+E",
                                    _tr("Export the selected photos, or the album or event shown"))
        self.add_menu = QMenu(_tr("Add to Album"))
        self.add_menu.aboutToShow.connect(self._fill_add_menu)
        self.add_action = self.add_menu.menuAction()
        self.remove_action = action(_tr("&Remove from Album"), self.remove_selected, None,
                                    _tr("Take the selected photos out of this album (they stay in the library)"))
        self.cover_action = action(_tr("Set as Album &Cover"), self.cover_from_current)
        self.earlier_action = action(_tr("Move &Earlier in Album"), lambda: self.move_selected(True), "Ctrl+[")
        self.later_action = action(_tr("Move &Later in Album"), lambda: self.move_selected(False), "Ctrl+]")
        self.by_date_action = action(_tr("Order Album by &Date"), self.order_by_date)
        self.export_selection_action = action(_tr("Export Selected…"), self.export_selection)
        self.save_search = QToolButton(text=_tr("Save as Smart Album"), autoRaise=True)
        self.save_search.setToolTip(_tr("Keep this search as a smart album: it stays up to date"))
        self.save_search.clicked.connect(lambda: self.ask_create_smart(self._search_text()))
        self._update_actions()

    # -- is_current is kept by the window; album actions only show in an album ----------------------------
    @property
    def is_current(self) -> bool:
        return getattr(self, "_current", False)

    @is_current.setter
    def is_current(self, value: bool) -> None:
        self._current = value
        if hasattr(self, "by_date_action"):
            self._update_actions()

    def page(self):
        return self.widget

    def toolbar_widgets(self):
        return [self.save_search]

    def menu_actions(self):
        return {"File": [self.export_action],
                "Edit": [self.new_action, self.new_smart_action],
                "Photo": [self.add_action, self.remove_action, self.cover_action, self.earlier_action,
                          self.later_action, self.by_date_action, self.export_selection_action]}

    def set_library(self, library) -> None:
        super().set_library(library)
        self.albums, self.loaded = {}, False
        self.summary_bar.shown = None
        self.widget.cards.clear_cards()
        self.sidebar_item().takeChildren()
        self.sidebar_item().setText(0, self.title)
        self.sidebar_item().setExpanded(True)

    # -- navigation ---------------------------------------------------------------------------------------------
    def shown_album(self):
        """The album whose photos the grid shows (None elsewhere)."""
        if self.is_current and isinstance(self.place.value, int):
            return self.albums.get(self.place.value)
        return None

    def activate(self, place: Place) -> None:
        self.place = place
        if isinstance(place.value, int):
            album_id, albums = place.value, self.library.albums
            info = self.albums.get(album_id)
            name = info.name if info is not None else _tr("Album")
            smart = info is not None and info.kind == "smart"
            empty = (_tr("No photos match this smart album's query yet; photos imported later appear here by "
                         "themselves.") if smart else
                     _tr("This album is empty. Drag photos from the grid onto it in the sidebar, or use "
                         "Photo → Add to Album."))
            self.context.browser.show_source(place, lambda: albums.get(album_id).photo_ids,
                                             lambda rows: f"{name} · {fmt.count(rows, _tr('photo'))}", empty,
                                             header=self.summary_bar)
            self.summary_bar.show_reading("album", album_id)
        self.refresh(True)
        self._update_actions()

    def refresh(self, active: bool) -> None:
        if self.library is not None:
            library = self.library
            self.context.reader.read("sidebar-albums", lambda: read_albums(library), self._show_albums)
            if active and isinstance(self.place.value, int):
                album_id = self.place.value
                self.context.reader.read("album-summary", lambda: read_summary(library, "album", album_id),
                                         self._show_summary)

    def _show_summary(self, result, error) -> None:
        """The album's summary line and representative photos, over its photos (only if it is still shown)."""
        if not (self.is_current and isinstance(self.place.value, int)):
            return
        if error is not None:
            self.summary_bar.show_error(_tr("No summary: {error}").format(error=error))
            return
        kind, album_id, summary, thumbs = result
        if album_id == self.place.value:
            self.summary_bar.show_summary(kind, album_id, summary, thumbs)

    def _show_albums(self, result, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The albums could not be read: {error}").format(error=error), error,
                                        key="sidebar")
            return
        albums, thumbs = result
        self.albums = {a.id: a for a in albums}
        self.loaded = True
        item = self.sidebar_item()
        with refilled(item) as keep:
            self._fill_sidebar(item, albums, keep)
        cards = self.widget.cards
        cards.clear_cards()
        for album in albums:
            kind = _tr("smart album") if album.kind == "smart" else _tr("album")
            cards.add_card(album.id, f"{album.name}\n{fmt.count(len(album.photo_ids), _tr('photo'))} · {kind}",
                           cover_of(album), thumbs.get(cover_of(album)), album.query or "")
        self.widget.summary.setText(
            _tr("{albums}. Drag photos from the grid onto an album in the sidebar to add them.").format(
                albums=fmt.count(len(albums), _tr("album"))) if albums else
            _tr("<h3>No albums yet</h3><p>Make one with the selected photos (Ctrl+Shift+N), or a smart album from "
                "a search.</p>"))
        self._update_actions()

    def _fill_sidebar(self, item, albums, keep) -> None:
        """The sidebar's albums (smart ones in italics), with the one shown selected again."""
        for album in albums:
            smart = album.kind == "smart"
            child = sidebar_child(item, f"{album.name}  ({len(album.photo_ids):,})", Place(self.mode, album.id),
                                  _tr("Smart album: {query}").format(query=album.query) if smart else
                                  _tr("Drop photos here to add them"))
            if smart:
                font = QFont(child.font(0))
                font.setItalic(True)
                child.setFont(0, font)
            keep(child, also=self.is_current and self.place == Place(self.mode, album.id))  # navigated here
        item.setExpanded(True)

    def _update_actions(self) -> None:
        album = self.shown_album()
        manual = album is not None and album.kind == "manual"
        for act in (self.remove_action, self.earlier_action, self.later_action, self.by_date_action):
            act.setVisible(manual)
            act.setEnabled(manual)
        self.by_date_action.setEnabled(manual and album.sort != "date")
        self.cover_action.setVisible(album is not None)
        self.cover_action.setEnabled(album is not None)

    def _search_text(self) -> str:
        box = getattr(self.context.window, "search_box", None)
        return box.text().strip() if box is not None else ""

    # -- sidebar: context menu and drops --------------------------------------------------------------------
    def sidebar_actions(self, place: Place) -> list[QAction]:
        if isinstance(place.value, int) and place.value in self.albums:
            return self._album_actions(place.value)
        if place.value is None:
            return [self.new_action, self.new_smart_action]
        return []

    def _album_actions(self, album_id: int) -> list[QAction]:
        album = self.albums.get(album_id)
        if album is None:
            return []

        def act(text, slot):
            return QAction(text, self, triggered=lambda _=False: slot())

        actions = [act(_tr("Rename…"), lambda: self.ask_rename(album_id))]
        if album.kind == "smart":
            actions.append(act(_tr("Edit Query…"), lambda: self.ask_query(album_id)))
        actions += [act(_tr("Export…"), lambda: self.export_album(album_id)),
                    act(_tr("Delete Album"), lambda: self.ask_delete(album_id))]
        return actions

    def _popup(self, actions, pos) -> None:
        if actions:
            menu = QMenu(self.context.window)
            menu.addActions(actions)
            menu.popup(pos)

    def accepts_drop(self, place: Place | None, mime) -> bool:
        if mime is None or not mime.hasFormat(PHOTO_IDS_MIME) or self.library is None:
            return False
        if place is None:
            return True
        album = self.albums.get(place.value) if place.mode is self.mode else None
        return album is not None and album.kind == "manual"

    def drop(self, place: Place, mime) -> None:
        ids = dropped_ids(mime)
        if ids:
            self.add_photos(place.value, ids)

    # -- edits --------------------------------------------------------------------------------------------------
    def _name(self, album_id: int) -> str:
        album = self.albums.get(album_id)
        return album.name if album is not None else _tr("album {id}").format(id=album_id)

    def ask_create(self) -> None:
        if self.library is None:
            return
        ids = selected_photo_ids(self.context.browser) if self.context.browser.showing() else []
        label = _tr("Name (with the {photos} selected):").format(photos=fmt.count(len(ids), _tr("photo"))) if ids \
            else _tr("Name:")
        name, ok = QInputDialog.getText(self.context.window, _tr("New Album"), label)
        if ok and name.strip():
            self.create(name, ids)

    def create(self, name: str, photo_ids: list[int] = (), query: str | None = None, *, show: bool = True) -> None:
        albums, ids = self.library.albums, list(photo_ids)

        def done(album_id) -> None:
            if show:
                self.context.navigate(Place(self.mode, album_id))

        run_edit(self.context, lambda: albums.create(name, ids, query=query),
                 (_tr("Made the smart album “{name}”.") if query is not None else
                  _tr("Made the album “{name}”.")).format(name=name.strip()), done)

    def ask_create_smart(self, query: str = "") -> None:
        if self.library is None:
            return
        dialog = SmartAlbumDialog(self.context.window, query=query or self._search_text())
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.create(dialog.name.text(), query=dialog.query.text())

    def ask_rename(self, album_id: int | None = None) -> None:
        album_id = album_id if album_id is not None else (self.place.value if self.shown_album() else None)
        if album_id is None:
            return
        name, ok = QInputDialog.getText(self.context.window, _tr("Rename Album"), _tr("Name:"),
                                        text=self._name(album_id))
        if ok and name.strip():
            self.rename(album_id, name)

    def rename(self, album_id: int, name: str) -> None:
        albums = self.library.albums
        run_edit(self.context, lambda: albums.rename(album_id, name),
                 _tr("Renamed the album to “{name}”.").format(name=name.strip()))

    def ask_query(self, album_id: int) -> None:
        album = self.albums.get(album_id)
        dialog = SmartAlbumDialog(self.context.window, album.name, album.query or "")
        dialog.name.setEnabled(False)
        dialog.setWindowTitle(_tr("Edit Smart Album"))
        if dialog.exec() == QDialog.DialogCode.Accepted:
            albums, query = self.library.albums, dialog.query.text()
            run_edit(self.context, lambda: albums.set_query(album_id, query), _tr("Changed the album's query."))

    def ask_delete(self, album_id: int) -> None:
        answer = QMessageBox.question(
            self.context.window, _tr("Delete Album"),
            _tr("Delete the album “{name}”? Its photos stay in the library and on disk.").format(
                name=self._name(album_id)))
        if answer == QMessageBox.StandardButton.Yes:
            self.delete(album_id)

    def delete(self, album_id: int) -> None:
        albums, name = self.library.albums, self._name(album_id)
        showing = self.shown_album() is not None and self.place.value == album_id

        def done(_result) -> None:
            if showing:
                self.context.navigate(Place(self.mode))

        run_edit(self.context, lambda: albums.delete(album_id),
                 _tr("Deleted the album “{name}” (its photos stay in the library).").format(name=name), done)

    def add_photos(self, album_id: int, photo_ids: list[int]) -> None:
        albums, name, ids = self.library.albums, self._name(album_id), list(photo_ids)
        run_edit(self.context, lambda: albums.add(album_id, ids),
                 lambda added: _tr("Added {photos} to “{name}”{already}.").format(
                     photos=fmt.count(added, _tr("photo")), name=name,
                     already=_tr(" ({n} already there)").format(n=len(ids) - added) if added < len(ids) else ""))

    def _fill_add_menu(self) -> None:
        self.add_menu.clear()
        manual = [a for a in self.albums.values() if a.kind == "manual"]
        for album in manual:
            self.add_menu.addAction(album.name, lambda a=album.id: self.add_photos(a, self._selection()))
        if manual:
            self.add_menu.addSeparator()
        self.add_menu.addAction(_tr("New Album…"), self.ask_create)

    def _selection(self) -> list[int]:
        return selected_photo_ids(self.context.browser)

    def remove_selected(self) -> None:
        album, ids = self.shown_album(), self._selection()
        if album is None or album.kind != "manual" or not ids:
            return
        albums, album_id = self.library.albums, album.id
        run_edit(self.context, lambda: albums.remove(album_id, ids),
                 lambda n: _tr("Took {photos} out of “{name}” (still in the library).").format(
                     photos=fmt.count(n, _tr("photo")), name=album.name))

    def cover_from_current(self) -> None:
        album, info = self.shown_album(), self.context.browser.current_info()
        if album is None or info is None:
            return
        albums, album_id, photo_id = self.library.albums, album.id, info.id
        run_edit(self.context, lambda: albums.set_cover(album_id, photo_id),
                 _tr("This photo is now the cover of “{name}”.").format(name=album.name))

    def move_selected(self, earlier: bool) -> None:
        album, selected = self.shown_album(), set(self._selection())
        model = self.context.browser.model
        if album is None or album.kind != "manual" or not selected or model is None:
            return
        order = moved(list(model.ids), selected, earlier)
        if order == list(model.ids):
            return
        albums, album_id = self.library.albums, album.id
        run_edit(self.context, lambda: albums.set_order(album_id, order), _tr("Moved in “{name}”.").format(
            name=album.name))

    def order_by_date(self) -> None:
        album = self.shown_album()
        if album is None or album.kind != "manual":
            return
        albums, album_id = self.library.albums, album.id
        run_edit(self.context, lambda: albums.set_order(album_id, sort="date"),
                 _tr("“{name}” is ordered by date.").format(name=album.name))

    # -- export ---------------------------------------------------------------------------------------------
    def export_album(self, album_id: int):
        return ask_export(self.context, self.library, ExportSource("album", album_id, self._name(album_id)))

    def export_selection(self):
        ids = self._selection()
        if not ids:
            self.context.messages.info(_tr("Select photos in the grid to export them."), key="export")
            return None
        return ask_export(self.context, self.library, ExportSource(
            "photos", ids, _tr("{photos} selected").format(photos=fmt.count(len(ids), _tr("photo")))))

    def ask_export(self):
        """File → Export…: the selected photos when some are selected, else the album or event shown."""
        place = getattr(self.context.window, "place", None)
        browser = self.context.browser
        if browser.showing() and browser.selected_count() > 1:
            return self.export_selection()
        if place is not None and place.mode is self.mode and isinstance(place.value, int):
            return self.export_album(place.value)
        if place is not None and place.mode is Mode.EVENTS and isinstance(place.value, int):
            events = getattr(self.context.window, "views", {}).get(Mode.EVENTS)
            info = events.events.get(place.value) if events is not None else None
            return ask_export(self.context, self.library, ExportSource(
                "event", place.value, info.title if info is not None else _tr("event")))
        if browser.showing() and browser.selected_count():
            return self.export_selection()
        self.context.messages.info(_tr("Select photos, or open an album or an event, to export it."), key="export")
        return None
