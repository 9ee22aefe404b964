"""The grid's model and image loading: row count, data roles, paging, async thumbnails, incremental refresh."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QAbstractItemModelTester

from app.bench.gui import generate_library
from app.ui import format as fmt
from app.ui.grid_model import PAGE_SIZE, InfoRole, PhotoGridModel, PhotoIdRole, ThumbnailRole
from app.ui.images import ImageCache, ImageLoader


@pytest.fixture
def loader(qtbot):
    loader = ImageLoader(threads=2)
    yield loader
    loader.shutdown()


@pytest.fixture
def filled(library):
    generate_library(library, 450, thumbnails=40)
    return library


def test_row_count_and_roles(filled, loader):
    model = PhotoGridModel(filled.photos, loader)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    ids = filled.photos.ordered_ids()
    model.set_ids(ids)
    assert model.rowCount() == 450
    first = model.index(0)
    assert first.data(PhotoIdRole) == ids[0]
    info = first.data(InfoRole)
    assert info.id == ids[0] and info.taken_at
    assert first.data(Qt.ItemDataRole.DisplayRole) == Path(info.path).name
    assert info.taken_at.replace("T", " ") in first.data(Qt.ItemDataRole.ToolTipRole)
    # newest first, as PhotoService orders them
    dates = [model.info(r).taken_at for r in range(0, 450, 37)]
    assert dates == sorted(dates, reverse=True)


def test_details_are_fetched_a_page_at_a_time_and_read_ahead(filled, loader, monkeypatch, qtbot):
    model = PhotoGridModel(filled.photos, loader)
    model.set_ids(filled.photos.ordered_ids())
    on_gui_thread, ahead = [], []
    real = filled.photos.get_many

    def spy(ids):
        ids = list(ids)
        (on_gui_thread if threading.current_thread() is threading.main_thread() else ahead).append(ids)
        return real(ids)

    monkeypatch.setattr(filled.photos, "get_many", spy)
    for row in range(PAGE_SIZE):
        model.info(row)
    assert len(on_gui_thread) == 1 and len(on_gui_thread[0]) == PAGE_SIZE
    qtbot.waitUntil(lambda: bool(ahead) and not model._prefetching, timeout=5000)  # the next page, on a worker
    assert ahead[0][0] == model.photo_id(PAGE_SIZE)
    assert model.info(PAGE_SIZE + 5).id == model.photo_id(PAGE_SIZE + 5)
    assert len(on_gui_thread) == 1  # scrolling on did not wait for the database
    model.wait()


def test_thumbnail_arrives_asynchronously(filled, loader, qtbot):
    model = PhotoGridModel(filled.photos, loader)
    model.set_ids(filled.photos.ordered_ids())
    index = model.index(3)
    with qtbot.waitSignal(model.thumbnail_arrived, timeout=5000, check_params_cb=lambda row: row == 3):
        assert index.data(ThumbnailRole) is None  # not decoded yet: the delegate paints a placeholder
    image = index.data(ThumbnailRole)
    assert isinstance(image, QImage) and not image.isNull() and image.width() == 256


def test_a_thumbnail_finds_its_row_after_rows_were_inserted_above(filled, loader, qtbot):
    model = PhotoGridModel(filled.photos, loader)
    ids = filled.photos.ordered_ids()
    model.set_ids(ids[10:])
    with qtbot.waitSignal(model.thumbnail_arrived, timeout=5000, check_params_cb=lambda row: row == 13):
        assert model.index(3).data(ThumbnailRole) is None  # asked for at row 3...
        model.sync_ids(ids)  # ...then ten photos arrive above it before the image does


def test_plan_sync_is_worked_out_apart_from_the_model():
    from app.ui.grid_model import plan_sync

    assert plan_sync([1, 2, 3], [1, 2, 3]) == ([], [])
    assert plan_sync([1, 3], [0, 1, 2, 3, 4]) == ([], [(0, 1), (2, 3), (4, 5)])
    assert plan_sync([1, 2, 3, 4], [1, 4]) == ([(1, 3)], [])
    assert plan_sync([1, 2], [2, 1]) is None  # kept photos changed order: a reset


def test_missing_thumbnail_is_a_null_image_not_a_wait(filled, loader, qtbot):
    model = PhotoGridModel(filled.photos, loader)
    model.set_ids(filled.photos.ordered_ids())
    row = 400  # only the newest 40 photos have thumbnail files
    with qtbot.waitSignal(model.thumbnail_arrived, timeout=5000):
        model.index(row).data(ThumbnailRole)
    assert model.index(row).data(ThumbnailRole).isNull()


def test_sync_keeps_rows_and_selection_when_photos_arrive(filled, loader):
    from PySide6.QtCore import QItemSelectionModel

    model = PhotoGridModel(filled.photos, loader)
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Warning)
    ids = filled.photos.ordered_ids()
    arriving = set(ids[:30] + ids[200:260] + ids[-15:])
    model.set_ids([i for i in ids if i not in arriving])
    selection = QItemSelectionModel(model)
    chosen = model.photo_id(10)
    selection.setCurrentIndex(model.index(10), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.sync_ids(ids)  # new photos arrive at the top, in the middle and at the end
    assert list(model.ids) == ids and not resets
    assert model.photo_id(selection.currentIndex().row()) == chosen
    model.sync_ids(ids[5:100] + ids[120:])  # some are hidden
    assert list(model.ids) == ids[5:100] + ids[120:] and not resets
    model.sync_ids(ids[::2])  # scattered everywhere: one reset instead of hundreds of small changes
    assert list(model.ids) == ids[::2] and resets


def test_cache_is_bounded_by_bytes():
    cache = ImageCache(max_bytes=3 * 100 * 100 * 4)
    for key in range(5):
        image = QImage(100, 100, QImage.Format.Format_ARGB32)
        cache.put(key, image)
    assert len(cache) == 3 and cache.get(0) is None and cache.get(4) is not None
    cache.put("bad", QImage())
    cache.put("fixed", QImage())
    cache.put("fixed", QImage(10, 10, QImage.Format.Format_ARGB32))  # read again, and this time it worked
    cache.put("gone", QImage())
    cache.discard("gone")
    cache.discard_failed()
    assert cache.get("bad") is None and cache.get("fixed") is not None and cache.get(4) is not None
    cache.put("bad", QImage())  # failed ones are counted apart (no isNull() over the whole cache per refresh)
    assert cache._failed == {"bad"}


def test_formatting():
    assert fmt.month_label("2021-03-14T10:00:00") == "March 2021"
    assert fmt.month_label(None) == "No date"
    assert fmt.file_size(2_500_000) == "2.4 MB"
    assert fmt.position(52.5, -1.25) == "52.50000° N, 1.25000° W"
