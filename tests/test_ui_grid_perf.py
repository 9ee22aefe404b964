"""What the GUI thread no longer does while an import runs (issue 9's browse-while-importing goal): the causes
of slow frames that `shoebox bench gui --trace` found, each checked as behaviour, never as a timing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel

from app.core.timeline import DateGroup, Timeline
from app.ui.grid_model import PhotoGridModel, plan_sync
from app.ui.grid_view import PhotoGridView
from app.ui.images import ImageLoader

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


class _NoPhotos:
    def get_many(self, ids):
        return []


def _grid(qtbot, rows: int):
    loader = ImageLoader(threads=1)
    model = PhotoGridModel(_NoPhotos(), loader)
    view = PhotoGridView()
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    ids = list(range(rows, 0, -1))
    model.set_ids(ids)
    days = [DateGroup(start, min(10, rows - start), f"2020-01-{1 + start // 10 % 28:02d}") for start in range(0, rows, 10)]
    view.set_timeline(Timeline(days, days))
    return loader, model, view, ids


def test_a_sync_with_many_runs_of_new_rows_is_laid_out_once(qtbot, monkeypatch):
    """An import's refresh inserts photos at dozens of places: the view lays out once for the whole sync (it
    did once per run, O(groups) each: 150 ms of GUI thread for 30 runs at 100k photos), and that one layout
    places every row where the model has it."""
    loader, model, view, ids = _grid(qtbot, 2_000)
    current = model.index(500)
    view.selectionModel().setCurrentIndex(current, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    chosen = model.photo_id(500)
    new = list(ids)
    for k in range(30):  # thirty separate runs of new photos
        new.insert(k * 60, 10_000 + k)
    plan = plan_sync(model.ids, new)
    assert plan is not None and len(plan[1]) == 30
    layouts = []
    relayout = view._relayout
    monkeypatch.setattr(view, "_relayout", lambda: (layouts.append(1), relayout()))
    model.apply_sync(new, plan)
    assert len(layouts) == 1
    assert list(model.ids) == new
    assert model.photo_id(view.currentIndex().row()) == chosen  # the selection followed its photo
    last = model.index(len(new) - 1)
    assert view.indexAt(view.visualRect(last).center()) == last or not view.visualRect(last).intersects(
        view.viewport().rect())
    bar = view.verticalScrollBar()
    assert bar.maximum() + view.viewport().height() >= view.rectForIndex(last).bottom()  # the new rows fit
    loader.shutdown()


def test_rows_changed_outside_a_sync_are_laid_out_at_once(qtbot):
    loader, model, view, ids = _grid(qtbot, 100)
    before = view.verticalScrollBar().maximum() + view.viewport().height()
    model.set_ids(ids + list(range(1_000, 1_200)))  # a reset
    model.beginInsertRows(model.index(0).parent(), 0, 0)  # a plain insert (any model, any caller)
    model._ids.insert(0, 5_000)
    model.endInsertRows()
    assert view.verticalScrollBar().maximum() + view.viewport().height() > before
    assert view.rectForIndex(model.index(model.rowCount() - 1)).isValid()
    loader.shutdown()


def test_the_timeline_strip_repaints_only_when_its_marker_moves(qtbot):
    """Scrolling a 100k-photo grid by a row moves the strip's marker by less than a pixel: the strip is not
    painted again for it (it was, every frame: 180 months of years laid out per scroll step)."""
    from app.ui.timeline_bar import TimelineBar

    bar = TimelineBar()
    qtbot.addWidget(bar)
    bar.resize(44, 800)
    bar.set_months([], 3_000_000)
    assert bar.set_position(0, 800) is False  # the marker stands where it stood
    assert bar.set_position(200, 800) is False  # one row of a grid 3,000,000 px high: under a pixel
    assert bar.set_position(400_000, 800) is True
    assert bar.marker().top() == 400_000 * 800 // 3_000_000


def test_the_sidebar_keeps_its_months_when_a_refresh_finds_the_same(library, qtbot, tmp_path):
    """Background work commits every second and each commit refreshes the window: the Library entry's
    year and month items are rebuilt only when the counts changed."""
    from PySide6.QtCore import QSettings

    from app.bench.gui import generate_library
    from app.ui.main_window import MainWindow
    from app.ui.settings import AppSettings
    from app.ui.views import Mode

    generate_library(library, 120, thumbnails=0)
    window = MainWindow(AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    assert window.open_library(library.root)
    view = window.views[Mode.LIBRARY]
    item = view.sidebar_item()
    qtbot.waitUntil(lambda: item.childCount() > 0, timeout=20_000)
    item.child(0).setText(1, "marked")  # a mark a rebuild would lose
    result = (library.photos.count(), library.photos.month_counts())
    view._show_months(result, None)
    assert item.child(0).text(1) == "marked"
    with library.db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE photos SET hidden = 1 WHERE id = 1")
    view._show_months((library.photos.count(), library.photos.month_counts()), None)
    assert item.child(0).text(1) == "" and view.total == 119
    window.close()


def test_progress_reports_ask_for_the_import_numbers_at_most_once_per_poll_interval(qtbot, monkeypatch):
    """The worker reports group progress up to ten times a second; each report read the numbers again on
    the reader thread (two reads a second, back to back). Now a report reads them only when the last read was
    asked for at least POLL_MS ago."""
    from app.ui import import_controller
    from app.ui.import_controller import ImportController, ImportProgress

    class Reader:
        keys: list[str] = []

        def read(self, key, func, callback):
            self.keys.append(key)

    progress = ImportProgress()
    qtbot.addWidget(progress)
    reader = Reader()
    controller = ImportController(progress, reader, messages=None)
    controller.library = object()
    controller.groups[7] = {"paths": [], "done": 0, "total": 0, "rate": 0.0}
    now = [1000.0]
    monkeypatch.setattr(import_controller.time, "monotonic", lambda: now[0])
    for _ in range(5):
        controller.on_group_progress(7, 1, 10, 1.0)
    assert reader.keys == ["import-progress"]
    now[0] += import_controller.POLL_MS / 1000
    controller.on_group_progress(7, 2, 10, 1.0)
    controller.on_group_progress(8, 2, 10, 1.0)  # not this window's import
    assert reader.keys == ["import-progress"] * 2


def test_plan_sync_covers_adds_removals_and_reorders():
    """plan_sync now passes over the ids at C speed and skips the old list's set when an import only adds:
    the plans are the same as before, and anything it cannot do in place is still a reset (None)."""
    old = list(range(100, 0, -1))
    added = old[:10] + [500, 501] + old[10:50] + [502] + old[50:] + [503]
    assert plan_sync(old, added) == ([], [(10, 12), (52, 53), (103, 104)])
    removed = old[:5] + old[8:60] + old[61:]
    assert plan_sync(old, removed) == ([(5, 8), (60, 61)], [])
    both = [700] + old[:5] + old[8:]
    assert plan_sync(old, both) == ([(5, 8)], [(0, 1)])
    assert plan_sync(old, old[::-1]) is None  # reordered
    assert plan_sync([1, 2], [1, 1]) is None  # repeated ids cannot pass for an add-only change
    assert plan_sync(old, list(old)) == ([], [])
    for plan_old, plan_new in ((old, added), (old, removed), (old, both)):
        model = list(plan_old)
        removals, insertions = plan_sync(plan_old, plan_new)
        for start, end in reversed(removals):
            del model[start:end]
        for start, end in insertions:
            model[start:start] = plan_new[start:end]
        assert model == plan_new


def test_an_import_refresh_grows_the_date_headers_instead_of_reading_every_day(library, qtbot, tmp_path, monkeypatch):
    """Photos added by an import join the headers through grown_groups (the days of the new photos only); the
    whole list's days are read again only when the list changed otherwise. The headers end up the same."""
    import time

    from PySide6.QtCore import QSettings

    from app.bench.gui import generate_library
    from app.core import timeline
    from app.ui.main_window import MainWindow
    from app.ui.settings import AppSettings

    generate_library(library, 300, thumbnails=0)
    window = MainWindow(AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    assert window.open_library(library.root)
    window.resize(1280, 820)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: bool(window.grid_view.groups()), timeout=20_000)
    calls = []
    whole = timeline.date_groups
    for name in ("date_groups", "grown_groups"):
        real = getattr(timeline, name)
        monkeypatch.setattr(timeline, name, lambda *a, real=real, name=name: (calls.append(name), real(*a))[1])
    with library.db.engine.begin() as conn:
        for k in range(12):
            conn.exec_driver_sql(
                "INSERT INTO photos (sha256, size, width, height, format, taken_at, status, hidden, imported_at,"
                " media) VALUES (?, 1, 4000, 3000, 'JPEG', ?, 'ok', 0, ?, 'photo')",
                (f"added-{k}", f"20{12 + k}-0{1 + k % 9}-1{k % 10}T12:00:00", time.time()))
    window.refresh()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 312 and "grown_groups" in calls, timeout=20_000)
    expected = whole(library, list(window.grid_model.ids))
    qtbot.waitUntil(lambda: window.grid_view._timeline == expected, timeout=20_000)
    assert "date_groups" not in calls
    window.close()


def test_while_importing_live_refreshes_read_the_views_less_often_than_the_grid(library, qtbot, tmp_path,
                                                                                monkeypatch):
    """During this window's import, every live refresh re-read the sidebar's month and folder counts (~100 ms
    of queries at 100k photos, next to the grid's own read). Now the grid is read on each live refresh and
    the views every VIEWS_IMPORT_REFRESH_MS; a refresh asked for (F5, an edit) still reads everything."""
    from PySide6.QtCore import QSettings

    from app.bench.gui import generate_library
    from app.ui import main_window
    from app.ui.main_window import MainWindow
    from app.ui.settings import AppSettings

    generate_library(library, 30, thumbnails=0)
    window = MainWindow(AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    assert window.open_library(library.root)
    qtbot.waitUntil(lambda: window.browser.loaded, timeout=20_000)
    views, grids = [], []
    for view in window.views.values():
        monkeypatch.setattr(view, "refresh", lambda active, v=view: views.append(v))
    monkeypatch.setattr(window.browser, "refresh", lambda **_: grids.append(1))
    now = [5000.0]
    monkeypatch.setattr(main_window.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(type(window.imports), "active", property(lambda self: True))
    window.refresh_live()  # the first one reads everything
    assert len(grids) == 1 and len(views) == len(window.views)
    views.clear()
    for _ in range(3):
        now[0] += main_window.IMPORT_REFRESH_MS / 1000
        window.refresh_live()
    assert len(grids) == 4 and views == []
    now[0] += main_window.VIEWS_IMPORT_REFRESH_MS / 1000
    window.refresh_live()
    assert len(grids) == 5 and len(views) == len(window.views)
    views.clear()
    window.refresh()  # asked for: everything, import or not
    assert len(grids) == 6 and len(views) == len(window.views)
    monkeypatch.setattr(type(window.imports), "active", property(lambda self: False))
    views.clear()
    window.refresh_live()  # no import: every live refresh reads the views
    assert len(views) == len(window.views)
    window.close()


def test_a_narrower_grid_keeps_the_photo_at_the_top_in_view(qtbot):
    """Resizing the grid (the window, a dock shown or hidden) kept the scroll bar's pixel offset, so with fewer
    columns other photos came into view; now the photo at the top stays at the top. With date headers and the
    timeline strip (whose margin resizes the viewport again inside the relayout)."""
    loader, model, view, ids = _grid(qtbot, 2_000)
    top_row = 900
    view.scrollTo(model.index(top_row, 0), PhotoGridView.ScrollHint.PositionAtTop)
    top_row = view._nearest_row(0, view.verticalOffset())
    for width in (700, 1300, 560, 1000):
        view.resize(width, 700)
        qtbot.waitUntil(lambda w=width: view.width() == w)
        assert view._nearest_row(0, view.verticalOffset()) == top_row, width
        assert view.visualRect(model.index(top_row, 0)).intersects(view.viewport().rect())


def test_the_window_takes_the_gil_back_within_a_millisecond(qapp):
    """The GUI thread takes the interpreter lock again for every Python call Qt makes in a frame; with Python's
    5 ms switch interval a reader thread running Python made it wait up to 5 ms each time (a frame of 60 such
    calls: median 50-60 ms, against 9-15 ms at 1 ms, in a two-thread experiment). The window's process
    switches every millisecond."""
    import sys

    from app.ui.application import create_app

    before = sys.getswitchinterval()
    try:
        create_app(["shoebox"])
        assert sys.getswitchinterval() <= 0.001
    finally:
        sys.setswitchinterval(before)
