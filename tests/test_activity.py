"""Activity: throughput per minute, run times, failures with reasons, growth and index files, from the database
(so other processes' work shows too); `shoebox metrics` carries the library gauges; the Activity view shows it."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QSettings
from sqlalchemy import update

from app.bench.gui import write_photos
from app.core.db.models import Task
from app.core.tasks.activity import percentile, read_activity
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings
from app.ui.views import Mode, Place

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def imported(qapp, library, tmp_path):  # qapp first: the import would make a QCoreApplication
    write_photos(tmp_path / "photos", 5)
    library.importer.import_paths([tmp_path / "photos"], progress=False)
    return library


def test_activity_counts_work_and_failures(imported):
    library = imported
    with library.db.write_session() as s:
        s.execute(update(Task).where(Task.id == 1).values(state="dead", error_class="DecodeError",
                                                          error_message="broken JPEG\ntraceback..."))
    a = read_activity(library)
    assert a.photos == 5 and a.growth[-1][1] == 5
    assert sum(sum(v) for v in a.per_minute.values()) >= 5  # the ingest tasks just finished
    assert all(len(v) == 60 for v in a.per_minute.values())
    ingest = next(t for t in a.times if t.type == "ingest")
    assert ingest.count == 5 and 0 <= ingest.p50_s <= ingest.p95_s
    assert [(f.state, f.error_class, f.message, f.count) for f in a.failures] == \
        [("dead", "DecodeError", "broken JPEG", 1)]
    assert read_activity(library, now=time.time() + 7200).per_minute == {}  # an hour later: nothing recent


def test_percentile():
    assert percentile([], 0.5) == 0.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 0.5) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 100.0], 0.95) == 100.0


def test_metrics_carry_library_gauges(imported, capsys):
    from app.cli import main

    assert main(["--library", str(imported.root), "metrics"]) == 0
    out = capsys.readouterr().out
    assert "shoebox_photos_total 5.0" in out
    assert "shoebox_persons_total" in out and "shoebox_embeddings_generated" in out
    assert 'shoebox_task_duration_seconds_bucket{le="0.005",type="ingest"}' in out


def test_activity_view_shows_it(imported, qtbot, tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.open_library(imported.root)
    window.show()
    qtbot.waitExposed(window)
    try:
        window.navigate(Place(Mode.ACTIVITY))
        page = window.views[Mode.ACTIVITY].page()
        qtbot.waitUntil(lambda: "5 photos" in page.summary.text(), timeout=20_000)
        assert window.stack.currentWidget() is page
        assert "ingest" in page.bars.series
        assert any(page.times.item(r, 0).text() == "ingest" for r in range(page.times.rowCount()))
        assert page.problems.item(0, 0).text() == "No failures."
        page.grab()  # paints both charts without error
    finally:
        window.close()
