"""Date headers in the grid: groups worked out in the core, header rows at the right rows, the sticky header,
clicking a header filters to its period, and the layout's geometry (rows <-> positions, keys, selection)."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, QSettings, Qt
from PySide6.QtTest import QTest

from app.bench.gui import generate_library
from app.core.timeline import DateGroup, Timeline, date_groups
from app.ui import format as fmt
from app.ui.main_window import MainWindow
from app.ui.views import Mode
from app.ui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(library, qtbot, tmp_path):
    generate_library(library, 300, thumbnails=0)
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.open_library(library.root)
    window.resize(1280, 820)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.browser.loaded)
    qtbot.waitUntil(lambda: bool(window.grid_view.groups()), timeout=20_000)
    yield window
    window.close()


def test_date_groups_follow_the_capture_dates(library, monkeypatch):
    generate_library(library, 300, thumbnails=0)
    ids = library.photos.ordered_ids()
    timeline = date_groups(library, ids)
    months = library.photos.month_counts()
    assert [g.period for g in timeline.months] == [m.month for m in months]
    assert [g.count for g in timeline.months] == [m.count for m in months]
    assert [g.start for g in timeline.months] == list(itertools.accumulate([0] + [m.count for m in months[:-1]]))
    assert sum(g.count for g in timeline.days) == len(ids)
    assert all(len(g.period) == 10 for g in timeline.days)
    assert date_groups(library, sorted(ids)) is None or len(ids) < 2  # not in date order: no headers
    import app.core.timeline as timeline_module

    monkeypatch.setattr(timeline_module, "_CHUNK", 10)  # a big list: one read of whole tables, by the driver
    assert date_groups(library, ids) == timeline
    assert date_groups(library, []) == Timeline([], [])


def test_headers_stand_at_the_rows_where_each_month_starts(window):
    view = window.grid_view
    months = window.library.photos.month_counts()
    groups = view.groups()
    assert [g.period for g in groups] == [m.month for m in months]  # few photos a day: grouped by month
    columns = view.columns()
    for group in groups[:12]:
        first = view.rectForIndex(view.model().index(group.start, 0))
        assert first.left() == 0  # every group starts a new line
        if group.start:
            before = view.rectForIndex(view.model().index(group.start - 1, 0))
            assert first.top() >= before.bottom() + 1 + 30  # a header row between the groups
    # The header is painted where nothing can be clicked as a photo, and says the month and the count.
    second = groups[1]
    header_y = view.rectForIndex(view.model().index(second.start, 0)).top() - 10 - view.verticalOffset()
    assert not view.indexAt(QPoint(20, header_y)).isValid()
    assert view.header_at(QPoint(20, header_y)) == second
    assert fmt.period_label(second.period) == fmt.month_label(second.period)
    assert columns >= 2


def test_the_sticky_header_follows_the_scroll(window, qtbot):
    view = window.grid_view
    groups = view.groups()
    assert view.sticky_period() == groups[0].period
    target = groups[20]
    view.scroll_to_row(target.start)
    qtbot.waitUntil(lambda: view.sticky_period() == target.period)
    view.verticalScrollBar().setValue(view.verticalScrollBar().value() + 40)  # into the group, past its header
    assert view.sticky_period() == target.period
    top_group = view.header_at(QPoint(20, 5))  # the pinned header, at the top of the viewport
    assert top_group.period == target.period
    view.verticalScrollBar().setValue(0)
    assert view.sticky_period() == groups[0].period


def test_clicking_a_month_header_filters_the_grid_to_that_month(window, qtbot):
    view = window.grid_view
    group = view.groups()[3]
    y = view.rectForIndex(view.model().index(group.start, 0)).top() - 10 - view.verticalOffset()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(40, y))
    assert f"date:{group.period}" in window.browser.filter_bar.query()
    qtbot.waitUntil(lambda: view.model().rowCount() == group.count, timeout=20_000)
    qtbot.waitUntil(lambda: [g.period for g in view.groups()] == [group.period], timeout=20_000)
    assert window.browser.filter_bar.period_button.isVisible()
    window.browser.filter_bar.period_button.click()  # ✕: every date again
    qtbot.waitUntil(lambda: view.model().rowCount() == 300, timeout=20_000)


def test_headers_go_when_the_list_is_not_by_date(window, qtbot):
    view = window.grid_view
    window.browser.filter_bar.sort.setCurrentIndex(window.browser.filter_bar.sort.findData("name"))
    qtbot.waitUntil(lambda: not view.groups(), timeout=20_000)
    assert view.sticky_period() is None


def test_the_layout_maps_rows_and_points_both_ways(qtbot):
    """The view's arithmetic on a hand-made timeline: every row's cell leads back to the row, arrow keys
    cross group boundaries by column, and a shift-click selects the run between two photos."""
    from PySide6.QtCore import QStringListModel

    from app.ui.grid_view import PhotoGridView

    view = PhotoGridView()
    qtbot.addWidget(view)
    view.resize(5 * 200 + 30, 700)
    model = QStringListModel([str(i) for i in range(23)])
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    days = [DateGroup(0, 7, "2020-01-02"), DateGroup(7, 3, "2020-01-01"), DateGroup(10, 13, "2019-12-31")]
    view.set_timeline(Timeline(days, days))
    assert [g.start for g in view.groups()] == [0, 7, 10]
    for row in range(23):
        rect = view.visualRect(model.index(row, 0))
        if rect.bottom() < view.viewport().height():
            assert view.indexAt(rect.center()).row() == row
    columns = view.columns()
    view.selectionModel().setCurrentIndex(model.index(columns + 1, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    QTest.keyClick(view, Qt.Key.Key_Down)  # the first group's short last line has no cell below: the next group
    assert view.currentIndex().row() == 7 + 1
    QTest.keyClick(view, Qt.Key.Key_Up)
    assert view.currentIndex().row() == columns + 1
    view.selectionModel().setCurrentIndex(model.index(2, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    last = view.visualRect(model.index(8, 0)).center()
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, last)
    assert sorted(i.row() for i in view.selectionModel().selectedIndexes()) == list(range(2, 9))


def test_the_timeline_strip_jumps_to_the_month_pressed(window, qtbot):
    view = window.grid_view
    bar = view.timeline_bar
    qtbot.waitUntil(bar.isVisible)
    assert bar.geometry().left() > view.viewport().geometry().right()  # beside the photos, not over them
    groups = view.groups()
    target = groups[len(groups) // 2]
    y = bar.months[[g for _y, g in bar.months].index(target)][0] * bar.height() // bar.height_of_content + 1
    QTest.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(bar.width() // 2, y))
    QTest.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(bar.width() // 2, y))
    qtbot.waitUntil(lambda: view.sticky_period() == target.period)
    assert bar.month_at(y) == target


def test_headers_arriving_keep_the_photo_at_the_top_in_place(window, qtbot):
    view = window.grid_view
    timeline = view._timeline
    view.set_timeline(None)  # as before the groups are read: no headers
    row = 100 // view.columns() * view.columns()  # the first of its line
    view.scroll_to_row(row)
    assert view.indexAt(QPoint(5, 5)).row() == row
    view.set_timeline(timeline)  # the groups arrive: the photo at the top is still the one the user saw
    top = view.rectForIndex(view.model().index(row, 0)).top() - view.verticalOffset()
    assert 0 <= top < view.gridSize().height()


def test_the_timeline_strip_settles_where_it_narrows_the_photos_below_its_threshold(window, qtbot, monkeypatch):
    """The strip takes width from the photos, whose cells shrink with it and the content's height too: at a
    height between the two layouts' heights it was shown, hidden, shown... each change resizing the viewport and
    laying out again inside the last one, until the stack overflowed (a crash seen with an album's summary over
    the grid). It settles now, and the strip is shown exactly when the photos leave room for it."""
    import app.ui.grid_view as grid_view

    view = window.grid_view
    calls = []
    real = view.setViewportMargins

    def counted(*margins):
        calls.append(margins)
        if len(calls) <= 6:  # a runaway is cut short here instead of crashing the test run
            real(*margins)

    for width in range(1000, 1500, 10):
        window.resize(width, 820)
        qtbot.waitUntil(lambda: view.viewport().width() > 0)
        monkeypatch.setattr(grid_view, "TIMELINE_FROM_SCREENS", 1000)  # never shown: the wide layout
        view._relayout()
        wide = view._height
        monkeypatch.setattr(grid_view, "TIMELINE_FROM_SCREENS", 0.01)  # always shown: the narrow layout
        view._relayout()
        narrow = view._height
        if wide > narrow:
            break
    assert wide > narrow, "no window width found where the strip makes the content shorter"
    monkeypatch.setattr(grid_view, "TIMELINE_FROM_SCREENS", 1000)
    view._relayout()
    assert view.viewportMargins().right() == 0
    monkeypatch.setattr(grid_view, "TIMELINE_FROM_SCREENS", (wide + narrow) / 2 / view.viewport().height())
    view.setViewportMargins = counted
    view._relayout()
    assert len(calls) <= 2
    assert view.timeline_bar.isVisible() == (view.viewportMargins().right() > 0)
    calls.clear()
    view._relayout()  # and stays put
    assert calls == []
def _item(window, period: str):
    """The sidebar's entry for `period` (found again each time: a refresh rebuilds the entries)."""
    from app.ui.views import PlaceRole

    library_item = window.sidebar.item(Mode.LIBRARY)
    for year in (library_item.child(i) for i in range(library_item.childCount())):
        for item in [year] + [year.child(j) for j in range(year.childCount())]:
            if item.data(0, PlaceRole).value == period:
                return item
    raise LookupError(period)


def _click_item(qtbot, window, period: str) -> None:
    tree = window.sidebar.tree
    _item(window, period).parent().setExpanded(True)
    tree.scrollToItem(_item(window, period))
    centre = lambda: tree.visualItemRect(_item(window, period)).center()  # noqa: E731 - laid out lazily
    qtbot.waitUntil(lambda: tree.itemAt(centre()) is _item(window, period))
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=centre())


def test_a_month_or_year_in_the_sidebar_filters_to_it(window, qtbot):
    """Picking a month (mouse) or a year (Enter) filters as a date header does, with the removable chip; the
    chip's ✕ shows every date again with the period's photos still on screen, and the same month can be
    picked again."""
    view, bar, tree = window.grid_view, window.browser.filter_bar, window.sidebar.tree
    library_item = window.sidebar.item(Mode.LIBRARY)
    qtbot.waitUntil(lambda: library_item.childCount() > 3)
    months = window.library.photos.month_counts()
    year = library_item.child(2).text(0)
    month = next(m for m in months if m.month and m.month.startswith(year))
    _click_item(qtbot, window, month.month)
    assert bar.query() == f"date:{month.month}" and bar.period_button.isVisible()
    assert fmt.month_label(month.month) in bar.period_button.text()
    qtbot.waitUntil(lambda: view.model().rowCount() == month.count, timeout=20_000)
    qtbot.waitUntil(lambda: [g.period for g in view.groups()] == [month.month], timeout=20_000)
    first = view.model().photo_id(0)

    bar.period_button.click()  # ✕: every date again, the month's photos still at the top
    qtbot.waitUntil(lambda: view.model().rowCount() == 300, timeout=20_000)
    assert tree.currentItem() is library_item  # the sidebar says what is shown
    row = view.model().row_of(first)
    assert row > 0 and view.indexAt(view.visualRect(view.model().index(row, 0)).center()).row() == row
    qtbot.waitUntil(lambda: len(view.groups()) > 10, timeout=20_000)  # the whole library's headers
    qtbot.waitUntil(lambda: view.sticky_period() == month.month, timeout=20_000)

    _click_item(qtbot, window, month.month)  # the same month again: filters again
    qtbot.waitUntil(lambda: view.model().rowCount() == month.count, timeout=20_000)

    tree.setFocus()
    QTest.keyClick(tree, Qt.Key.Key_Up)  # the arrow keys go to the entry above (the year), as a click does
    assert tree.currentItem() is _item(window, year)
    qtbot.waitUntil(lambda: bar.query() == f"date:{year}")
    bar.period_button.click()
    qtbot.waitUntil(lambda: view.model().rowCount() == 300, timeout=20_000)
    tree.blockSignals(True)  # back on the year without going there (as when the sidebar was refilled)
    tree.setCurrentItem(_item(window, year))
    tree.blockSignals(False)
    QTest.keyClick(tree, Qt.Key.Key_Return)  # Enter goes there
    assert bar.query() == f"date:{year}"
    assert bar.period_button.text().startswith(year)
    count = sum(m.count for m in months if m.month and m.month.startswith(year))
    qtbot.waitUntil(lambda: view.model().rowCount() == count, timeout=20_000)
    window.show_library()  # the Library entry (Ctrl+1): every date
    qtbot.waitUntil(lambda: view.model().rowCount() == 300, timeout=20_000)
    assert not bar.period_button.isVisible()


def test_a_header_shows_a_place_named_after_the_import(window, library, qtbot):
    """The places task names places after the import: the open grid's header shows the name by itself."""
    view = window.grid_view
    group = view.groups()[0]
    assert group.place is None
    ids = [view.model().photo_id(r) for r in range(group.start, group.end)]
    with library.db.engine.begin() as conn:
        for pid in ids:
            conn.exec_driver_sql("UPDATE photos SET gps_lat = 35.0116, gps_lon = 135.7681 WHERE id = ?", (pid,))
    assert library.places.name_pending() == len(ids)  # as the background worker does, in another connection
    qtbot.waitUntil(lambda: view.groups()[0].place == "Kyoto", timeout=20_000)
    assert [g.period for g in view.groups()] == [g.period for g in window.grid_view.groups()]
    assert view.groups()[1].place is None


def test_the_filter_bar_filters_to_a_date_range(window, qtbot):
    from PySide6.QtCore import QDate

    view, bar = window.grid_view, window.browser.filter_bar
    months = window.library.photos.month_counts()
    count = sum(m.count for m in months if m.month and "2019-06" <= m.month <= "2019-08")
    assert 0 < count < 300
    assert bar.dates.isVisible()
    bar.date_from.setDate(QDate(2019, 8, 31))  # either way round
    bar.date_to.setDate(QDate(2019, 6, 1))
    bar.dates_apply.click()
    assert bar.query() == "date:2019-06-01..2019-08-31"
    assert bar.period_button.isVisible() and bar.period_button.text().startswith("1 June 2019 – 31 August 2019")
    qtbot.waitUntil(lambda: view.model().rowCount() == count, timeout=20_000)
    bar.period_button.click()
    qtbot.waitUntil(lambda: view.model().rowCount() == 300, timeout=20_000)


def test_relabel_reads_only_the_places_again(library):
    from app.core.timeline import places_version, relabel

    generate_library(library, 120, thumbnails=0)
    ids = library.photos.ordered_ids()
    timeline = date_groups(library, ids)
    before = places_version(library)
    assert relabel(library, ids, timeline) is None  # nothing named: nothing to re-label
    group = timeline.days[2]
    with library.db.engine.begin() as conn:
        for pid in ids[group.start:group.end]:
            conn.exec_driver_sql("INSERT INTO photo_places (photo_id, city, country) VALUES (?, 'Oslo', 'Norway')",
                                 (pid,))
    assert places_version(library) != before
    again = relabel(library, ids, timeline)
    assert again.days[2].place == "Oslo" and [g.place for g in again.days if g.place] == ["Oslo"]
    assert [(g.start, g.count, g.period) for g in again.days] == [(g.start, g.count, g.period) for g in timeline.days]
    assert again == date_groups(library, ids)  # the same as reading the groups afresh
