"""The Events and Albums views, the query-language search box and the Export dialog, driven through the window:
each GUI action, its undo, drag and drop onto the sidebar, live smart albums. Waits on conditions only."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QInputDialog

from app.ui.views import Mode, Place, PlaceRole
from generated_window import make_window  # noqa: F401  (a fixture)
from test_albums import make_photos
from test_events import load_timeline
from test_export import add_files

WAIT = 30_000  # ms: a deadline for conditions on a busy machine, not a delay
# The offscreen platform cannot size, raise or grab for the completion popup, and says so: the test platform talking.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)")


def bars(window) -> list[str]:
    return [bar.text for bar in window.message_area.messages()]


def grid_ids(window) -> list[int]:
    return list(window.grid_model.ids)


def select_rows(window, rows) -> None:
    from PySide6.QtCore import QItemSelectionModel

    view = window.grid_view
    view.clearSelection()
    for row in rows:
        view.selectionModel().select(view.model().index(row, 0), QItemSelectionModel.SelectionFlag.Select)
    view.selectionModel().setCurrentIndex(view.model().index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate)


def answer(monkeypatch, text: str) -> None:
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: (text, True)))


# -- events -------------------------------------------------------------------------------------------------
@pytest.fixture
def timeline(library):
    load_timeline(library)
    library.events.rebuild()
    return library


def events_view(window):
    return window.views[Mode.EVENTS]


def open_events(window, qtbot):
    window.navigate(Place(Mode.EVENTS))
    view = events_view(window)
    qtbot.waitUntil(lambda: view.loaded and len(view.widget.cards.cards()) == len(view.events), timeout=WAIT)
    return view


def test_events_show_as_cards_by_year_and_a_click_opens_the_photos(timeline, make_window, qtbot):
    window = make_window(timeline.root)
    view = open_events(window, qtbot)
    events = timeline.events.list()
    cards = view.widget.cards
    assert len(cards.cards()) == len(events) > 10
    assert "2019" in cards._headings  # a heading per year
    kyoto = next(e for e in events if e.title.startswith("Kyoto"))
    card = cards.card(kyoto.id)
    assert card.text().startswith("Kyoto · 3–7 Apr 2019\n") and f"{len(kyoto.photo_ids)} photos" in card.text()
    sidebar = window.sidebar.item(Mode.EVENTS)
    qtbot.waitUntil(lambda: sidebar.childCount() >= 1 and sidebar.text(0) == f"Events  ({len(events)})", timeout=WAIT)

    cards.scrollToItem(card)
    qtbot.mouseClick(cards.viewport(), Qt.MouseButton.LeftButton, pos=cards.visualItemRect(card).center())
    assert window.place == Place(Mode.EVENTS, kyoto.id)
    qtbot.waitUntil(lambda: grid_ids(window) == kyoto.photo_ids, timeout=WAIT)
    assert window.stack.currentWidget() is window.grid_page
    assert "Kyoto" in window.count_label.text()

    window.sidebar.tree.setCurrentItem(sidebar.child(0))  # a year: back to the cards, scrolled to it
    assert window.stack.currentWidget() is view.widget


def test_rename_an_event_survives_resegmentation_and_undoes(timeline, make_window, qtbot, monkeypatch):
    window = make_window(timeline.root)
    view = open_events(window, qtbot)
    kyoto = next(e for e in timeline.events.list() if e.title.startswith("Kyoto"))
    view.widget.cards.card(kyoto.id).setSelected(True)
    assert view.rename_action.isEnabled()
    answer(monkeypatch, "Cherry blossoms")
    view.rename_action.trigger()
    qtbot.waitUntil(lambda: view.widget.cards.card(kyoto.id) is not None
                    and view.widget.cards.card(kyoto.id).text().startswith("Cherry blossoms\n"), timeout=WAIT)
    timeline.events.rebuild()  # a later import re-segments: the user's title stays
    assert timeline.events.get(kyoto.id).title == "Cherry blossoms"
    window.views[Mode.ALBUMS].undo_action.trigger()  # Ctrl+Z
    qtbot.waitUntil(lambda: view.widget.cards.card(kyoto.id).text().startswith("Kyoto"), timeout=WAIT)
    assert any(text.startswith("Undone: rename event") for text in bars(window))


def test_merge_two_selected_events_and_split_one_at_a_photo(timeline, make_window, qtbot):
    window = make_window(timeline.root)
    view = open_events(window, qtbot)
    before = len(view.events)
    paris = next(e for e in timeline.events.list() if e.title.startswith("Paris"))
    earlier = max((e for e in timeline.events.list() if e.end < paris.start), key=lambda e: e.end)
    assert not view.merge_action.isEnabled()
    view.widget.cards.card(paris.id).setSelected(True)
    view.widget.cards.card(earlier.id).setSelected(True)
    assert view.merge_action.isEnabled()
    view.merge_action.trigger()
    qtbot.waitUntil(lambda: len(view.events) == before - 1, timeout=WAIT)
    merged = next(e for e in timeline.events.list() if paris.photo_ids[0] in e.photo_ids)
    assert set(earlier.photo_ids) | set(paris.photo_ids) == set(merged.photo_ids)

    window.navigate(Place(Mode.EVENTS, merged.id))  # its photos in the grid; split where Paris starts
    qtbot.waitUntil(lambda: grid_ids(window) == merged.photo_ids, timeout=WAIT)
    assert view.split_action.isVisible() and view.split_action.isEnabled()
    select_rows(window, [merged.photo_ids.index(paris.photo_ids[0])])
    view.split_action.trigger()
    qtbot.waitUntil(lambda: len(view.events) == before, timeout=WAIT)
    parts = [e for e in timeline.events.list() if set(e.photo_ids) & set(merged.photo_ids)]
    assert sorted(map(len, (e.photo_ids for e in parts))) == sorted([len(earlier.photo_ids), len(paris.photo_ids)])
    timeline.events.rebuild()  # both edits are replayed after re-segmentation
    assert len(timeline.events.list()) == before
    window.navigate(Place(Mode.LIBRARY))
    assert not view.split_action.isVisible()  # only in an event's grid


# -- albums -------------------------------------------------------------------------------------------------
def albums_view(window):
    return window.views[Mode.ALBUMS]


def sidebar_album(window, album_id):
    item = window.sidebar.item(Mode.ALBUMS)
    for i in range(item.childCount()):
        if item.child(i).data(0, PlaceRole) == Place(Mode.ALBUMS, album_id):
            return item.child(i)
    return None


@pytest.fixture
def dated(library):
    ids = make_photos(library, [dict(taken_at=f"2019-06-{d:02d}T10:00:00", camera_make="Canon" if d % 2 else "Nikon",
                                     camera_model="EOS" if d % 2 else "D750") for d in range(1, 9)])
    return library, ids


def test_new_album_from_the_selection_and_undo(dated, make_window, qtbot, monkeypatch):
    library, ids = dated
    window = make_window(library.root)
    select_rows(window, [0, 1, 2])
    chosen = grid_ids(window)[:3]
    answer(monkeypatch, "Summer")
    albums_view(window).new_action.trigger()
    qtbot.waitUntil(lambda: len(library.albums.list()) == 1, timeout=WAIT)
    album = library.albums.list()[0]
    assert album.name == "Summer" and set(album.photo_ids) == set(chosen)
    qtbot.waitUntil(lambda: window.place == Place(Mode.ALBUMS, album.id), timeout=WAIT)  # shows the new album
    qtbot.waitUntil(lambda: set(grid_ids(window)) == set(chosen), timeout=WAIT)
    qtbot.waitUntil(lambda: sidebar_album(window, album.id) is not None, timeout=WAIT)
    assert sidebar_album(window, album.id).text(0) == "Summer  (3)"
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: library.albums.list() == [], timeout=WAIT)
    qtbot.waitUntil(lambda: sidebar_album(window, album.id) is None, timeout=WAIT)


def drop_on(window, item, mime, qtbot) -> None:
    tree = window.sidebar.tree
    tree.scrollToItem(item)
    pos = QPointF(tree.visualItemRect(item).center())
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(tree.viewport(), enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(pos.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(tree.viewport(), move)
    assert move.isAccepted()
    QApplication.sendEvent(tree.viewport(), QDropEvent(pos, actions, mime, buttons, mods))


def test_drag_photos_from_the_grid_onto_an_album_in_the_sidebar(dated, make_window, qtbot):
    library, ids = dated
    album_id = library.albums.create("Trip")
    smart_id = library.albums.create("Canon", query="camera:canon")
    window = make_window(library.root)
    qtbot.waitUntil(lambda: None not in (sidebar_album(window, album_id), sidebar_album(window, smart_id)), timeout=WAIT)
    select_rows(window, [1, 3])
    indexes = window.grid_view.selectionModel().selectedIndexes()
    mime = window.grid_model.mimeData(indexes)  # what a drag from the grid carries
    wanted = [grid_ids(window)[1], grid_ids(window)[3]]
    drop_on(window, sidebar_album(window, album_id), mime, qtbot)
    qtbot.waitUntil(lambda: set(library.albums.get(album_id).photo_ids) == set(wanted), timeout=WAIT)
    qtbot.waitUntil(lambda: sidebar_album(window, album_id).text(0) == "Trip  (2)", timeout=WAIT)
    assert window.place.mode is Mode.LIBRARY  # dropping does not navigate

    tree = window.sidebar.tree  # a smart album takes no drops (its photos come from its query)
    pos = tree.visualItemRect(sidebar_album(window, smart_id)).center()
    move = QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(tree.viewport(), move)
    assert not move.isAccepted()

    albums_view(window).undo_action.trigger()
    qtbot.waitUntil(lambda: library.albums.get(album_id).photo_ids == [], timeout=WAIT)


def test_add_from_the_context_menu_remove_cover_order_and_undo_each(dated, make_window, qtbot):
    library, ids = dated
    album_id = library.albums.create("Trip")
    window = make_window(library.root)
    view = albums_view(window)
    qtbot.waitUntil(lambda: album_id in view.albums, timeout=WAIT)
    select_rows(window, [0, 1, 2, 3])
    chosen = grid_ids(window)[:4]
    view.add_menu.aboutToShow.emit()  # Photo → Add to Album ▸ (also in the grid's context menu)
    assert [a.text() for a in view.add_menu.actions() if a.text()] == ["Trip", "New Album…"]
    assert view.add_action in window.photo_actions
    view.add_menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: set(library.albums.get(album_id).photo_ids) == set(chosen), timeout=WAIT)

    window.navigate(Place(Mode.ALBUMS, album_id))
    by_date = library.albums.get(album_id).photo_ids
    qtbot.waitUntil(lambda: grid_ids(window) == by_date, timeout=WAIT)
    assert view.remove_action.isVisible() and view.cover_action.isVisible()

    select_rows(window, [3])  # move the last photo earlier, by hand
    view.earlier_action.trigger()
    expected = by_date[:2] + [by_date[3], by_date[2]]
    qtbot.waitUntil(lambda: library.albums.get(album_id).photo_ids == expected, timeout=WAIT)
    assert library.albums.get(album_id).sort == "manual"
    qtbot.waitUntil(lambda: grid_ids(window) == expected, timeout=WAIT)
    # Enabled once the view has read the album's new "manual" order (the grid may show it before the sidebar read).
    qtbot.waitUntil(view.by_date_action.isEnabled, timeout=WAIT)
    view.by_date_action.trigger()
    qtbot.waitUntil(lambda: library.albums.get(album_id).photo_ids == by_date, timeout=WAIT)
    view.undo_action.trigger()
    qtbot.waitUntil(lambda: library.albums.get(album_id).photo_ids == expected, timeout=WAIT)

    select_rows(window, [1])
    cover = grid_ids(window)[1]
    view.cover_action.trigger()
    qtbot.waitUntil(lambda: library.albums.get(album_id).cover_photo_id == cover, timeout=WAIT)
    view.undo_action.trigger()
    qtbot.waitUntil(lambda: library.albums.get(album_id).cover_photo_id is None, timeout=WAIT)

    select_rows(window, [0, 1])
    gone = grid_ids(window)[:2]
    view.remove_action.trigger()
    qtbot.waitUntil(lambda: grid_ids(window) == [p for p in expected if p not in gone], timeout=WAIT)
    assert library.photos.count() == len(ids)  # out of the album, never out of the library
    view.undo_action.trigger()
    qtbot.waitUntil(lambda: len(grid_ids(window)) == 4, timeout=WAIT)


def test_rename_and_delete_an_album_from_the_sidebar_never_touch_photos(dated, make_window, qtbot, monkeypatch):
    library, ids = dated
    album_id = library.albums.create("Trip", ids[:3])
    window = make_window(library.root)
    view = albums_view(window)
    qtbot.waitUntil(lambda: sidebar_album(window, album_id) is not None, timeout=WAIT)
    actions = {a.text(): a for a in view.sidebar_actions(Place(Mode.ALBUMS, album_id))}
    assert set(actions) == {"Rename…", "Export…", "Delete Album"}
    answer(monkeypatch, "Road trip")
    actions["Rename…"].trigger()
    qtbot.waitUntil(lambda: sidebar_album(window, album_id).text(0) == "Road trip  (3)", timeout=WAIT)
    window.navigate(Place(Mode.ALBUMS, album_id))
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    actions["Delete Album"].trigger()
    qtbot.waitUntil(lambda: library.albums.list() == [], timeout=WAIT)
    qtbot.waitUntil(lambda: window.place == Place(Mode.ALBUMS), timeout=WAIT)  # the album shown is gone: back to the list
    assert library.photos.count() == len(ids)
    view.undo_action.trigger()
    qtbot.waitUntil(lambda: [a.name for a in library.albums.list()] == ["Road trip"], timeout=WAIT)
    assert sorted(library.albums.list()[0].photo_ids) == sorted(ids[:3])


def test_smart_album_from_the_search_box_is_live(dated, make_window, qtbot, monkeypatch):
    library, ids = dated
    window = make_window(library.root)
    view = albums_view(window)
    window.search_box.setText("camera:canon")
    qtbot.waitUntil(lambda: window.place.mode is Mode.SEARCH and len(grid_ids(window)) == 4, timeout=WAIT)
    from app.ui.views.albums import SmartAlbumDialog

    def accept(dialog):
        assert dialog.query.text() == "camera:canon"  # prefilled from the search box
        dialog.name.setText("Canon shots")
        dialog._check()
        return dialog.result()

    monkeypatch.setattr(SmartAlbumDialog, "exec", accept)
    view.save_search.click()
    qtbot.waitUntil(lambda: len(library.albums.list()) == 1, timeout=WAIT)
    album = library.albums.list()[0]
    assert album.kind == "smart" and len(album.photo_ids) == 4
    qtbot.waitUntil(lambda: window.place == Place(Mode.ALBUMS, album.id) and len(grid_ids(window)) == 4, timeout=WAIT)

    new = make_photos(library, [dict(taken_at="2020-01-01T10:00:00", camera_make="Canon")])  # imported later
    qtbot.waitUntil(lambda: new[0] in grid_ids(window), timeout=WAIT)  # the live watcher refreshes
    qtbot.waitUntil(lambda: sidebar_album(window, album.id).text(0) == "Canon shots  (5)", timeout=WAIT)


def test_smart_album_dialog_refuses_a_bad_query_pointing_at_it(qtbot):
    from app.ui.views.albums import SmartAlbumDialog

    dialog = SmartAlbumDialog(None, "x", "year:2019 colour:red")
    qtbot.addWidget(dialog)
    dialog._check()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "colour" in dialog.error.text() and "\n            ^^^^^^^" in dialog.error.text()


# -- the search box: the query language ---------------------------------------------------------------------
def test_search_box_runs_filters_and_points_at_errors(dated, make_window, qtbot):
    library, ids = dated
    window = make_window(library.root)
    window.search_box.setText("camera:canon -date:2019-06-01")
    window.search.run_now()
    qtbot.waitUntil(lambda: window.place.mode is Mode.SEARCH and len(grid_ids(window)) == 3, timeout=WAIT)
    window.search_box.setText("year:2019 colour:red")
    window.search.run_now()
    qtbot.waitUntil(lambda: any("unknown filter colour" in text and "year:2019 ▸colour:◂red" in text for text in bars(window)), timeout=WAIT)


def test_search_box_completes_filter_names_and_values(dated, make_window, qtbot):
    library, ids = dated
    library.albums.create("Summer 2019")
    window = make_window(library.root)
    completion = window.search_view.completion
    window.search_box.setFocus()
    qtbot.keyClicks(window.search_box, "year:2019 cam")
    qtbot.waitUntil(lambda: completion.suggestions() == ["year:2019 camera:"], timeout=WAIT)
    window.search_box.setText("")
    qtbot.keyClicks(window.search_box, "album:Sum")
    qtbot.waitUntil(lambda: completion.suggestions() == ['album:"Summer 2019" '], timeout=WAIT)
    window.search_box.setText("")
    qtbot.keyClicks(window.search_box, "camera:ni")
    qtbot.waitUntil(lambda: completion.suggestions() == ["camera:Nikon "], timeout=WAIT)


# -- export dialog ------------------------------------------------------------------------------------------
def test_export_dialog_writes_verified_files_and_a_rerun_skips_them(library, tmp_path, make_window, qtbot):
    ids = add_files(library, tmp_path, [(f"IMG_{n}.jpg", dict(taken_at=f"2019-06-0{n}T10:00:00")) for n in range(1, 5)])
    album_id = library.albums.create("Trip", ids)
    window = make_window(library.root)
    view = albums_view(window)
    qtbot.waitUntil(lambda: album_id in view.albums, timeout=WAIT)
    dialog = view.export_album(album_id)
    assert dialog.windowTitle() == "Export Trip"
    dest = tmp_path / "out"
    dialog.destination.setText(str(dest))
    dialog.sidecars.setChecked(True)
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=WAIT)
    assert len(dialog.summary.written) == 4 and dialog.summary.sidecars == 4
    assert dialog.progress.value() == dialog.progress.maximum()
    assert "4 written and verified" in dialog.status.text()
    originals = {hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in (tmp_path / "originals").glob("*.jpg")}
    assert {hashlib.sha256(p.read_bytes()).hexdigest() for p in dest.glob("*.jpg")} == originals
    dialog.export_button.click()  # again: nothing rewritten
    qtbot.waitUntil(lambda: not dialog.running and dialog.summary is not None and bool(dialog.summary.unchanged), timeout=WAIT)
    assert len(dialog.summary.unchanged) == 4 and not dialog.summary.written


def test_export_dialog_cancel_stops_between_files_and_says_so(library, tmp_path, make_window, qtbot):
    import threading

    ids = add_files(library, tmp_path, [(f"IMG_{n}.jpg", dict(taken_at=f"2019-06-0{n}T10:00:00")) for n in range(1, 7)])
    window = make_window(library.root)
    from app.ui.export_dialog import ExportSource, ask_export

    dialog = ask_export(window.context, window.library, ExportSource("photos", ids, "6 photos"))
    gate, real = threading.Event(), dialog._progress

    class Gated:  # the export waits after its first file until the user has pressed Cancel
        class moved:
            @staticmethod
            def emit(done, total):
                real.moved.emit(done, total)
                if done == 1:
                    assert gate.wait(60)

    def press_cancel(done, _total):
        if done == 1:
            dialog.cancel_button.click()
            gate.set()

    real.moved.connect(press_cancel)
    dialog._progress = Gated
    dialog.destination.setText(str(tmp_path / "out.zip"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=WAIT)
    assert dialog.summary.cancelled and len(dialog.summary.written) == 1
    assert "Cancelled" in dialog.status.text() and dialog.cancel_button.text() == "Close"


def test_file_export_exports_the_selection(dated, make_window, qtbot):
    library, ids = dated
    window = make_window(library.root)
    select_rows(window, [0, 1])
    dialog = albums_view(window).ask_export()
    assert dialog is not None and dialog.source.kind == "photos" and len(dialog.source.value) == 2
    assert albums_view(window).export_action in window.menuBar().actions()[0].menu().actions()


def test_file_export_in_an_event_exports_the_event(dated, make_window, qtbot):
    library, ids = dated
    library.events.rebuild()
    event = library.events.list()[0]
    window = make_window(library.root)
    open_events(window, qtbot)
    window.navigate(Place(Mode.EVENTS, event.id))
    qtbot.waitUntil(lambda: grid_ids(window) == event.photo_ids, timeout=WAIT)
    window.grid_view.clearSelection()
    dialog = albums_view(window).ask_export()
    assert (dialog.source.kind, dialog.source.value, dialog.source.name) == ("event", event.id, event.title)


def test_albums_page_shows_a_card_per_album_and_a_click_opens_it(dated, make_window, qtbot):
    library, ids = dated
    trip = library.albums.create("Trip", ids[:2])
    library.albums.create("Canon", query="camera:canon")
    window = make_window(library.root)
    view = albums_view(window)
    window.navigate(Place(Mode.ALBUMS))
    qtbot.waitUntil(lambda: len(view.widget.cards.cards()) == 2, timeout=WAIT)
    assert window.stack.currentWidget() is view.widget
    assert [c.text() for c in view.widget.cards.cards()] == ["Canon\n4 photos · smart album", "Trip\n2 photos · album"]
    assert [a.text() for a in view.sidebar_actions(Place(Mode.ALBUMS))] == ["New &Album…", "New S&mart Album…"]
    cards = view.widget.cards
    card = cards.card(trip)
    qtbot.mouseClick(cards.viewport(), Qt.MouseButton.LeftButton, pos=cards.visualItemRect(card).center())
    assert window.place == Place(Mode.ALBUMS, trip)
    qtbot.waitUntil(lambda: sorted(grid_ids(window)) == sorted(ids[:2]), timeout=WAIT)
