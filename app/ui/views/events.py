"""Events: the library's automatic events (app.core.events) as cards by year; a card opens the event's photos
in the shared grid. Rename an event, merge two (select both cards), split one at a photo (in its grid): each is
an edit anchored on photos, so it survives re-segmentation after later imports, and each can be undone.

The sidebar lists the years (each scrolls the page to its cards). Reads go through the window's reader."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QLabel, QMenu, QVBoxLayout, QWidget

from app.ui import format as fmt
from app.ui.export_dialog import ExportSource, ask_export
from app.ui.views import Mode, Place, View, refilled, sidebar_child
from app.ui.views.cards import CardList
from app.ui.views.edits import run_edit
from app.ui.views.summary_bar import SummaryBar, open_photo, read_summary


def _tr(text: str) -> str:
    return QCoreApplication.translate("EventsView", text)


class EventsPage(QWidget):
    def __init__(self, loader, parent=None):
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.cards = CardList(loader)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.cards, 1)


def read_events(library) -> tuple[list, dict[int, str]]:
    """On the reader thread: every event, and its cover's thumbnail path."""
    events = library.events.list()
    covers = [e.cover_photo_id for e in events if e.cover_photo_id]
    thumbs = {info.id: info.thumbnail for info in library.photos.get_many(covers)}
    return events, thumbs


class EventsView(View):
    mode = Mode.EVENTS

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Events")
        self.widget = EventsPage(context.loader)
        self.widget.cards.opened.connect(lambda event_id: self.context.navigate(Place(self.mode, event_id)))
        self.widget.cards.menu_requested.connect(self._card_menu)
        self.widget.cards.itemSelectionChanged.connect(self._update_actions)
        self.summary_bar = SummaryBar(context.loader)  # over an event's photos
        self.summary_bar.photo_clicked.connect(lambda photo_id: open_photo(self.context, photo_id))
        self.events: dict[int, object] = {}  # id -> EventInfo, as last read
        self.loaded = False
        self.place = Place(self.mode)
        self._scroll_to: str | None = None
        self.rename_action = QAction(_tr("&Rename Event…"), self, triggered=self.ask_rename)
        self.merge_action = QAction(_tr("&Merge Events"), self, triggered=self.merge_selected)
        self.merge_action.setToolTip(_tr("Join the two selected events into one"))
        self.split_action = QAction(_tr("S&plit Event Here"), self, triggered=self.split_at_current)
        self.split_action.setToolTip(_tr("Start a new event with this photo"))
        self.cover_action = QAction(_tr("Set as Event &Cover"), self, triggered=self.cover_from_current)
        self.cover_action.setToolTip(_tr("Show this photo on the event's card"))
        self._update_actions()

    # -- is_current is kept by the window; the event actions only show where they apply --------------------
    @property
    def is_current(self) -> bool:
        return getattr(self, "_current", False)

    @is_current.setter
    def is_current(self, value: bool) -> None:
        self._current = value
        if hasattr(self, "split_action"):
            self._update_actions()

    def page(self):
        return self.widget

    def menu_actions(self):
        return {"Edit": [self.rename_action, self.merge_action], "Photo": [self.split_action, self.cover_action]}

    def set_library(self, library) -> None:
        super().set_library(library)
        self.events, self.loaded = {}, False
        self.summary_bar.shown = None
        self.widget.cards.clear_cards()
        self.widget.summary.clear()
        self.sidebar_item().takeChildren()
        self.sidebar_item().setText(0, self.title)

    # -- navigation -----------------------------------------------------------------------------------------
    def shown_event(self) -> int | None:
        """The event whose photos the grid shows (None on the cards page)."""
        return self.place.value if self.is_current and isinstance(self.place.value, int) else None

    def activate(self, place: Place) -> None:
        self.place = place
        if isinstance(place.value, int):
            event_id, events = place.value, self.library.events
            info = self.events.get(event_id)
            name = info.title if info is not None else _tr("Event")
            self.context.browser.show_source(
                place, lambda: events.photo_ids(event_id),
                lambda rows: f"{name} · {fmt.count(rows, _tr('photo'))}",
                _tr("This event has no photos any more (it was merged into another, or re-grouped)."),
                header=self.summary_bar)
            self.summary_bar.show_reading("event", event_id)
            self._read_summary(event_id)
        else:
            self._scroll_to = place.value
            if not self.loaded:
                self.widget.summary.setText(_tr("Reading events…"))
            self.refresh(True)
        self._update_actions()

    def refresh(self, active: bool) -> None:
        if self.library is None:
            return
        events = self.library.events
        self.context.reader.read("sidebar-events", events.years, self._show_years)
        if active:  # the cards (every event's photos: a third of a second at 100k) only while Events shows
            library = self.library
            self.context.reader.read("events", lambda: read_events(library), self._show_events)
            if isinstance(self.place.value, int):
                self._read_summary(self.place.value)

    def _read_summary(self, event_id: int) -> None:
        library = self.library
        self.context.reader.read("event-summary", lambda: read_summary(library, "event", event_id),
                                 self._show_summary)

    def _show_summary(self, result, error) -> None:
        """The event's summary line and representative photos, over its photos (only if it is still shown)."""
        if self.shown_event() is None:
            return
        if error is not None:
            self.summary_bar.show_error(_tr("No summary: {error}").format(error=error))
            return
        kind, event_id, summary, thumbs = result
        if event_id == self.shown_event():
            self.summary_bar.show_summary(kind, event_id, summary, thumbs)

    # -- what arrives -----------------------------------------------------------------------------------------
    def _show_years(self, years, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The events could not be read: {error}").format(error=error), error,
                                        key="sidebar")
            return
        item = self.sidebar_item()
        total = sum(count for _year, count in years)
        item.setText(0, _tr("Events  ({total})").format(total=f"{total:,}") if total else self.title)
        with refilled(item) as keep:
            for year, count in years:
                keep(sidebar_child(item, f"{year}  ({count:,})", Place(self.mode, year)),
                     also=self.is_current and self.place == Place(self.mode, year))

    def _show_events(self, result, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The events could not be read: {error}").format(error=error), error,
                                        key="events")
            return
        events, thumbs = result
        cards = self.widget.cards
        selected = set(cards.selected_keys())
        scroll = cards.verticalScrollBar().value()
        self.events = {e.id: e for e in events}
        first = not self.loaded
        self.loaded = True
        cards.clear_cards()
        year = None
        for event in reversed(events):  # newest first, like the library
            if event.start[:4] != year:
                year = event.start[:4]
                cards.add_heading(year)
            card = cards.add_card(event.id, f"{event.title}\n{fmt.count(len(event.photo_ids), _tr('photo'))}",
                                  event.cover_photo_id, thumbs.get(event.cover_photo_id),
                                  tooltip=event.place or "")
            card.setSelected(event.id in selected)
        if events:
            self.widget.summary.setText(_tr("{events}. Click one to see its photos; select two (Ctrl+click) to "
                                            "merge them.").format(events=fmt.count(len(events), _tr("event"))))
        else:
            self.widget.summary.setText(_tr("<h3>No events yet</h3><p>Photos with a capture date are grouped into "
                                            "events by time and place after an import.</p>"))
        if self._scroll_to is not None:
            cards.scroll_to_heading(self._scroll_to)
            self._scroll_to = None
        elif not first:
            cards.verticalScrollBar().setValue(scroll)
        self._update_actions()

    # -- edits ----------------------------------------------------------------------------------------------
    def _update_actions(self) -> None:
        on_cards = self.is_current and not isinstance(self.place.value, int)
        selected = self.widget.cards.selected_keys() if on_cards else []
        in_event = self.shown_event() is not None
        self.rename_action.setVisible(self.is_current)
        self.rename_action.setEnabled(in_event or len(selected) == 1)
        self.merge_action.setVisible(self.is_current)
        self.merge_action.setEnabled(len(selected) == 2)
        self.split_action.setVisible(in_event)
        self.split_action.setEnabled(in_event)
        if hasattr(self, "cover_action"):
            self.cover_action.setVisible(in_event)
            self.cover_action.setEnabled(in_event)

    def _target(self) -> int | None:
        """The event an action is about: the one shown in the grid, or the one selected card."""
        shown = self.shown_event()
        if shown is not None:
            return shown
        selected = self.widget.cards.selected_keys()
        return selected[0] if len(selected) == 1 else None

    def ask_rename(self) -> None:
        event_id = self._target()
        if event_id is None or self.library is None:
            return
        info = self.events.get(event_id)
        text, ok = QInputDialog.getText(self.context.window, _tr("Rename Event"), _tr("Title:"),
                                        text=info.title if info is not None else "")
        if ok and text.strip():
            self.rename(event_id, text)

    def rename(self, event_id: int, title: str) -> None:
        events = self.library.events
        run_edit(self.context, lambda: events.rename(event_id, title),
                 _tr("Renamed the event to “{title}”.").format(title=title.strip()))

    def merge_selected(self) -> None:
        keys = self.widget.cards.selected_keys()
        if len(keys) == 2 and self.library is not None:
            self.merge(*sorted(keys, key=lambda k: self.events[k].start if k in self.events else ""))

    def merge(self, event_id: int, other_id: int) -> None:
        events = self.library.events
        run_edit(self.context, lambda: events.merge(event_id, other_id), _tr("Merged two events into one."))

    def split_at_current(self) -> None:
        event_id = self.shown_event()
        info = self.context.browser.current_info()
        if event_id is not None and info is not None:
            self.split(event_id, info.id)

    def cover_from_current(self) -> None:
        event_id, info = self.shown_event(), self.context.browser.current_info()
        if event_id is None or info is None:
            return
        events, photo_id = self.library.events, info.id
        run_edit(self.context, lambda: events.set_cover(event_id, photo_id),
                 _tr("This photo is now the event's cover."))

    def split(self, event_id: int, photo_id: int) -> None:
        events = self.library.events
        run_edit(self.context, lambda: events.split(event_id, photo_id),
                 _tr("Split the event: a new event starts with this photo."))

    def _card_menu(self, event_id, global_pos) -> None:
        menu = QMenu(self.context.window)
        self._update_actions()
        menu.addAction(self.rename_action)
        menu.addAction(self.merge_action)
        info = self.events.get(event_id)
        menu.addAction(_tr("Export Event…"), lambda: ask_export(self.context, self.library, ExportSource(
            "event", event_id, info.title if info is not None else _tr("event"))))
        menu.popup(global_pos)
