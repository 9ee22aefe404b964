"""An album's and an event's page show the summary line and representative photos over the photos (read on the
reader thread); a click on a representative photo opens it. Waits on conditions only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.ui.views import Mode, Place
from test_summaries import lisbon_trip
from generated_window import make_window  # noqa: F401  (a fixture)
from test_ui_events_albums import WAIT, grid_ids

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support (propagateSizeHints|raise|grabbing the keyboard)")


def test_album_page_shows_its_summary_and_a_representative_photo_opens(library, make_window, qtbot):
    from app.core.summaries import summarise_album

    ids = lisbon_trip(library)
    album = library.albums.create("Lisbon", ids)
    expected = summarise_album(library, album)
    window = make_window(library.root)
    bar = window.views[Mode.ALBUMS].summary_bar
    assert not bar.isVisible()  # not over the library's photos

    window.navigate(Place(Mode.ALBUMS, album))
    qtbot.waitUntil(lambda: bar.text.text() == expected.text, timeout=WAIT)
    assert expected.text.startswith("12–19 July 2019 · Lisbon, Sintra · with Ana and João · beach")
    qtbot.waitUntil(lambda: sorted(grid_ids(window)) == sorted(ids), timeout=WAIT)
    assert bar.isVisible() and bar.picture_ids() == expected.representatives and len(expected.representatives) == 4
    assert "spread over the time span" in bar.how.text()

    first = bar.pictures[0]
    qtbot.mouseClick(first, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.viewer, timeout=WAIT)
    assert window.grid_model.photo_id(window.viewer.row) == expected.representatives[0]

    window.navigate(Place(Mode.LIBRARY))
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=WAIT)


def test_empty_album_and_event_pages_show_their_summaries(library, make_window, qtbot):
    ids = lisbon_trip(library)
    library.events.rebuild()
    event = next(e for e in library.events.list() if ids[0] in e.photo_ids)
    empty = library.albums.create("Later")
    window = make_window(library.root)

    album_bar = window.views[Mode.ALBUMS].summary_bar
    window.navigate(Place(Mode.ALBUMS, empty))
    qtbot.waitUntil(lambda: album_bar.text.text() == "No photos yet.", timeout=WAIT)
    assert album_bar.picture_ids() == []

    event_bar = window.views[Mode.EVENTS].summary_bar
    window.navigate(Place(Mode.EVENTS, event.id))
    qtbot.waitUntil(lambda: "Lisbon" in event_bar.text.text(), timeout=WAIT)
    assert event_bar.isVisible() and not album_bar.isVisible()
    assert set(event_bar.picture_ids()) <= set(event.photo_ids) and event_bar.picture_ids()


def test_a_merged_away_event_shows_no_summary(library, make_window, qtbot):
    lisbon_trip(library)  # a photo a day, no GPS: several events
    library.events.rebuild()
    first, second = library.events.list()[:2]
    window = make_window(library.root)
    bar = window.views[Mode.EVENTS].summary_bar
    window.navigate(Place(Mode.EVENTS, second.id))
    qtbot.waitUntil(lambda: bool(bar.picture_ids()), timeout=WAIT)
    library.events.merge(first.id, second.id)
    gone = next(e for e in (first, second) if e.id not in {x.id for x in library.events.list()})
    window.navigate(Place(Mode.EVENTS, gone.id))
    qtbot.waitUntil(lambda: bar.text.text() == "" and bar.picture_ids() == [], timeout=WAIT)
