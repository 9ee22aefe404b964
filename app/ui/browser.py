"""The photo grid and the viewer that every photo-list view (Library, Folders, Search, later People, Albums)
shows its photos in.

A view hands the browser a *source* (a function that reads an ordered id list) or a ready list (search
results). Sources are read on the window's reader thread; when the library changes, `refresh()` reads the source
again and works out the difference on that thread too, so the GUI thread only applies a few row inserts and
removals: the grid keeps its scroll position and selection while an import adds photos.
"""

from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QCoreApplication, QItemSelectionModel, QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QLabel, QStackedWidget, QVBoxLayout, QWidget

from app.ui.filter_bar import FilterBar
from app.ui.grid_model import PhotoGridModel, plan_sync
from app.ui.grid_view import MANY_GROUPS, PhotoGridView
from app.ui.images import ImageLoader
from app.ui.messages import MessageBridge
from app.ui.reader import Reader
from app.ui.viewer import ViewerPage


log = logging.getLogger(__name__)
PositionAtTop = QAbstractItemView.ScrollHint.PositionAtTop


def _tr(text: str) -> str:
    return QCoreApplication.translate("PhotoBrowser", text)


class PhotoBrowser(QObject):
    """Emits `status(text)` ("1,234 photos") and `current_changed(info, selected_count)`."""

    status = Signal(str)
    current_changed = Signal(object, int)
    arrived = Signal()  # a list read by show_source arrived (or failed): the window has painted its photos

    def __init__(self, stack: QStackedWidget, loader: ImageLoader, reader: Reader, messages: MessageBridge,
                 parent=None):
        super().__init__(parent)
        self.stack = stack
        self.loader = loader
        self.reader = reader
        self.messages = messages
        self.model: PhotoGridModel | None = None
        self.grid_view = PhotoGridView()
        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()
        self.grid_page = QWidget()
        layout = QVBoxLayout(self.grid_page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.filter_bar = FilterBar()  # sorts and filters what a view's source reads (not search results)
        self.filter_bar.changed.connect(self._filter_changed)
        layout.addWidget(self.filter_bar)
        self._header_layout = layout
        self.header: QWidget | None = None  # a view's bar above its photos (a person's name and actions)
        layout.addWidget(self.empty_label, 1)  # takes the grid's room when empty: the bar stays on top
        layout.addWidget(self.grid_view, 1)
        self.viewer = ViewerPage(None, loader)
        self.viewer.closed.connect(self.close_viewer)
        self.viewer.row_changed.connect(lambda row: self.grid_view.select_row(row))
        stack.addWidget(self.grid_page)
        stack.addWidget(self.viewer)
        self.grid_view.open_requested.connect(self.open_viewer)
        self.grid_view.period_clicked.connect(self.filter_to_period)
        self._source: Callable[[], list[int]] | None = None
        self._key: object = None
        self._timeline = (None, None, None)  # the list (model, version), its date groups, the places' fingerprint
        self._keep = (None, None, None)  # model, list version, photo to show at the top once its headers arrive
        self._describe: Callable[[int], str] = lambda rows: ""
        self._empty_text = ""
        self.loaded = False  # the current list has arrived (until then no "No photos" text)
        self.read_now = False  # read the next list on this thread (set by the window before it is shown)
        self.library = None

    # -- the library --------------------------------------------------------------------------------------
    def set_library(self, library) -> None:
        if self.model is not None:
            self.model.wait()
            self.model.deleteLater()
            self.model = None
        self._key, self._source = None, None
        self.loaded = False
        self.library = library
        self.filter_bar.blockSignals(True)
        self.filter_bar.reset()  # a filter belongs to the library it was set in
        self.filter_bar.blockSignals(False)
        if library is None:
            return
        self.model = PhotoGridModel(library.photos, self.loader, self)
        self.grid_view.setModel(self.model)
        self.viewer.set_model(self.model)
        selection = self.grid_view.selectionModel()
        selection.currentChanged.connect(self._on_selection_changed)
        selection.selectionChanged.connect(self._on_selection_changed)

    def wait(self) -> None:
        if self.model is not None:
            self.model.wait()

    # -- what is shown --------------------------------------------------------------------------------------
    def show_source(self, key: object, source: Callable[[], list[int]], describe: Callable[[int], str],
                    empty_text: str, *, scroll_to_row: int | None = None, header: QWidget | None = None,
                    period: str | None = None) -> None:
        """Show the photos `source()` reads (on the reader thread). `key` names the list (a Place): showing
        the list already shown only scrolls (or filters again). `header` shows above the photos (only for this
        list). `period` ("2019-07", "2019"; "" for every date; None: as it is) filters to a period, as clicking
        a date header does (a year or month in the sidebar)."""
        self.set_header(header)
        self.show_grid()
        self.filter_bar.show()
        self._describe, self._empty_text = describe, empty_text
        refilter = period is not None and period != self.filter_bar.period
        if refilter:
            self.filter_bar.blockSignals(True)  # one read below, not one for the bar and one for the list
            self.filter_bar.set_period(period)
            self.filter_bar.blockSignals(False)
        if key == self._key and self._source is not None:
            if self.loaded and refilter:
                self.refresh(keep=self.photo_in_view(), scroll_to_row=scroll_to_row)
                return
            if not refilter:
                if self.loaded:
                    self._scroll_to(scroll_to_row)
                    self._update_count()
                return
        self._key, self._source = key, source
        self.loaded = False
        self._update_count()

        def arrived(ids, error) -> None:
            if error is not None:
                self.messages.error(_tr("The photos could not be read: {error}").format(error=error), error,
                                    key="grid")
            else:
                self.model.set_ids(ids)
                self.loaded = True
                self._update_count()
                self._scroll_to(scroll_to_row)
                self._read_groups()
            self.arrived.emit()

        source = self._refined(source)
        if self.read_now:  # start-up, before the window shows: nothing to stall yet, and the first paint has photos
            self.read_now = False
            try:
                ids, error = source(), None
            except Exception as exc:  # noqa: BLE001 - told like any failed read
                ids, error = None, exc
            arrived(ids, error)
            return
        self.reader.read("grid", source, arrived)

    def show_ids(self, ids: list[int], scores: dict[int, float], describe: Callable[[int], str],
                 empty_text: str) -> None:
        """Show a list the caller already has (search results): nothing to read, nothing to refresh."""
        self.reader.cancel("grid")
        self.filter_bar.hide()  # search results have their own order and the query language for filters
        self.set_header(None)
        self._key, self._source = None, None
        self._describe, self._empty_text = describe, empty_text
        self.model.set_ids(ids, scores)
        self.loaded = True
        self.show_grid()
        self._update_count()

    def refresh(self, *, keep: int | None = None, scroll_to_row: int | None = None) -> None:
        """Read the shown source again and apply the difference (new photos appear in place). After a filter
        change, `keep` (a photo id) is put at the top again, or the list starts at its top when the photo was
        filtered out; `scroll_to_row` scrolls there instead. A list that did not change gets its date headers'
        places read again (named since: the places task runs after an import)."""
        if self.model is None or self._source is None or not self.loaded:
            return
        self.loader.retry_failed()  # thumbnails made since the grid asked
        source, model, library = self._source, self.model, self.library
        refined = self._refined(source)
        old, version = list(model.ids), model.version
        shown, timeline, places = self._timeline
        if shown != (model, version):
            timeline = None

        def read():
            new_ids, plan = _read_and_plan(refined, old)
            if plan == ([], []) and timeline is not None:  # the same list: have its places been named since?
                from app.core.timeline import places_version, relabel

                now = places_version(library)
                if now != places:
                    return new_ids, plan, (now, relabel(library, new_ids, timeline))
            return new_ids, plan, None

        def arrived(result, error) -> None:
            if error is not None or model is not self.model or source is not self._source:
                return
            if model.version != version:  # the list changed meanwhile: work it out again
                self.refresh(keep=keep, scroll_to_row=scroll_to_row)
                return
            new_ids, plan, relabelled = result
            shown_before = self._timeline[0] == (model, version) and self._timeline[1] is not None
            grown = plan is not None and not plan[0] and shown_before
            model.apply_sync(new_ids, plan)
            self._update_count()
            if model.version != version:
                self._read_groups(plan[1] if grown else None)
            elif relabelled is not None and self._timeline[1] is timeline:
                now, changed = relabelled
                if changed is None:  # named, but no header's place changed: only the fingerprint moves on
                    self._timeline = (self._timeline[0], timeline, now)
                else:
                    self._set_timeline(changed, now)
            if scroll_to_row is not None:
                self._scroll_to(scroll_to_row)
            elif keep is not None:
                self._keep_at_top(keep)
                self._keep = (model, model.version, keep)  # again when the list's date headers arrive

        self.reader.read("grid", read, arrived)

    def photo_in_view(self) -> int | None:
        """The photo the user is looking at: the current one when it is on screen, else the first on screen."""
        view, model = self.grid_view, self.model
        if model is None or not model.rowCount():
            return None
        area = view.viewport().rect()
        current = view.currentIndex()
        if current.isValid() and view.visualRect(current).intersects(area):
            return model.photo_id(current.row())
        step = max(1, view.gridSize().height() // 2)
        for y in range(0, area.height(), step):  # below the sticky header, which no photo is under
            index = view.indexAt(QPoint(view.gridSize().width() // 2, y))
            if index.isValid():
                return model.photo_id(index.row())
        return None

    def _keep_at_top(self, photo_id: int) -> None:
        row = self.model.row_of(photo_id)
        if row is None:
            self.grid_view.verticalScrollBar().setValue(0)
        else:
            self.grid_view.scrollTo(self.model.index(row, 0), PositionAtTop)

    # -- sort and filter ----------------------------------------------------------------------------------
    def _refined(self, source: Callable[[], list[int]]) -> Callable[[], list[int]]:
        """`source` sorted and filtered as the filter bar says (read on the reader thread)."""
        library, bar = self.library, self.filter_bar
        if library is None or not bar.active():
            return source
        from app.core.browse import refine

        sort, query = bar.sort_key(), bar.query()
        return lambda: refine(library, source(), sort=sort, query=query)

    def _filter_changed(self) -> None:
        self.refresh(keep=self.photo_in_view())

    def filter_to_period(self, period: str) -> None:
        """Show only the photos of `period` ("2019-07", "2019-07-14"): a date header or the map was clicked."""
        self.filter_bar.set_period(period)

    def _read_groups(self, insertions: list[tuple[int, int]] | None = None) -> None:
        """The date groups of the list shown (app.core.timeline), read on the reader thread; they are applied
        only to the list they were worked out for. Lists in another order than by date have no headers.
        `insertions`: the rows a refresh only added to the list the groups shown were worked out for; the
        groups grow by those (`grown_groups`) instead of being worked out again."""
        model, library = self.model, self.library
        if model is None or library is None or self._source is None or self.filter_bar.sort_key() != "taken":
            self._set_timeline(None)
            return
        from app.core.timeline import Groups, Timeline, date_groups, grown_groups, places_version

        ids, version = list(model.ids), model.version
        shown = self._timeline[1] if insertions else None  # refresh passes insertions only onto these

        def read():
            grown = grown_groups(library, shown, ids, insertions) if shown is not None else None
            timeline = grown if grown is not None else date_groups(library, ids)
            if timeline is not None and len(timeline.days) >= MANY_GROUPS:  # columns: laid out with numpy, which
                timeline = Timeline(Groups.of(timeline.days), Groups.of(timeline.months))  # loads here, not there
            return timeline

        def arrived(result, error) -> None:
            if error is not None:
                log.warning("reading the grid's date groups failed: %s", error)
            elif model is self.model and model.version == version:
                self._set_timeline(result[1], result[0])
                if self._keep[:2] == (model, version):  # the headers moved the photos: the kept one back on top
                    self._keep_at_top(self._keep[2])
                self._keep = (None, None, None)

        # The places' fingerprint first: a place named between the two reads is seen by the next refresh.
        self.reader.read("grid-groups", lambda: (places_version(library), read()), arrived)

    def _set_timeline(self, timeline, places=None) -> None:
        """Show `timeline`; `refresh` re-labels it when the places (`places`: their fingerprint) change later."""
        shown = (self.model, self.model.version) if self.model is not None else None
        self._timeline = (shown, timeline, places)
        self.grid_view.set_timeline(timeline)

    def set_header(self, header: QWidget | None) -> None:
        if self.header is not None and header is not self.header:
            self.header.hide()
        self.header = header
        if header is not None:
            if self._header_layout.indexOf(header) < 0:
                self._header_layout.insertWidget(0, header)
            header.show()

    def show_grid(self) -> None:
        if self.stack.currentWidget() is not self.grid_page:
            self.stack.setCurrentWidget(self.grid_page)

    def showing(self) -> bool:
        return self.stack.currentWidget() in (self.grid_page, self.viewer)

    def _scroll_to(self, row: int | None) -> None:
        if row is not None and 0 <= row < self.model.rowCount():
            self.grid_view.scroll_to_row(row)

    def _update_count(self) -> None:
        rows = self.model.rowCount() if self.model is not None else 0
        self.status.emit(self._describe(rows) if self.loaded else "")
        empty = self.loaded and rows == 0
        self.empty_label.setText(self._empty_text)
        self.empty_label.setVisible(empty)
        self.grid_view.setVisible(not empty)

    # -- the current photo --------------------------------------------------------------------------------
    def current_row(self) -> int | None:
        index = self.grid_view.currentIndex()
        return index.row() if index.isValid() else None

    def current_info(self):
        row = self.current_row()
        return self.model.info(row) if row is not None else None

    def selected_count(self) -> int:
        selection = self.grid_view.selectionModel()
        if selection is None:
            return 0
        return sum(r.bottom() - r.top() + 1 for r in selection.selection())

    def selected_ids(self) -> list[int]:
        """Photo ids of the selected rows, in grid order (the current photo when nothing is selected)."""
        selection = self.grid_view.selectionModel()
        if self.model is None or selection is None:
            return []
        rows = sorted(i.row() for i in selection.selectedIndexes())
        if not rows and self.current_row() is not None:
            rows = [self.current_row()]
        return [self.model.photo_id(r) for r in rows if 0 <= r < self.model.rowCount()]

    def _on_selection_changed(self, *_args) -> None:
        self.current_changed.emit(self.current_info(), max(1, self.selected_count()))

    def select_for_menu(self, index) -> None:
        if not self.grid_view.selectionModel().isSelected(index):
            self.grid_view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    # -- viewer -------------------------------------------------------------------------------------------
    def open_viewer(self, row: int | None = None) -> None:
        row = self.current_row() if row is None else row
        if self.model is None or row is None or not 0 <= row < self.model.rowCount():
            return
        self.stack.setCurrentWidget(self.viewer)
        self.viewer.show_row(row)
        self.viewer.setFocus()

    def close_viewer(self, row: int) -> None:
        self.stack.setCurrentWidget(self.grid_page)
        if 0 <= row < self.model.rowCount():
            self.grid_view.select_row(row)
        self.grid_view.setFocus()


def _read_and_plan(source: Callable[[], list[int]], old: list[int]):
    """On the reader thread: the new list and how to get there from `old` (see `plan_sync`)."""
    new = list(source())
    return new, plan_sync(old, new)
