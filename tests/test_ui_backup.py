"""File → Back Up Library… in the window: the backup runs off the GUI thread and ends with one message; the
optional reminder appears only when the user asked for it and the last backup is too old."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog

from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, tmp_path, library):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    assert win.open_library(library.root)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _texts(win):
    return [bar.text for bar in win.message_area.messages()]


def test_back_up_from_the_file_menu(window, qtbot, tmp_path, monkeypatch):
    from app.core.exchange.backup import verify_backup

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "backups"))
    (tmp_path / "backups").mkdir()
    action = next(a for a in window.menuBar().actions()[0].menu().actions() if "Back Up" in a.text())
    action.trigger()
    qtbot.waitUntil(lambda: any("backed up the library" in t.lower() for t in _texts(window)), timeout=60_000)
    made = list((tmp_path / "backups").iterdir())
    assert len(made) == 1 and verify_backup(made[0]).ok
    assert window.library.config.get("backup.last_at") > 0


def test_a_failed_backup_says_why(window, qtbot, tmp_path):
    window.backups.start(window.library, window.library.root / "inside")
    qtbot.waitUntil(lambda: any("backup failed" in t.lower() for t in _texts(window)), timeout=60_000)


def test_reminder_only_when_asked_and_due(window, qtbot):
    library = window.library
    window.backups.remind_if_due(library)
    assert not any("backed up for a while" in t for t in _texts(window))  # off by default
    library.config.set("backup.remind_days", 7)
    library.config.set("backup.last_at", time.time() - 8 * 86400)
    window.backups.remind_if_due(library)
    assert any("backed up for a while" in t for t in _texts(window))
