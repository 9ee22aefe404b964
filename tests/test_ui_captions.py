"""The info panel's caption: with no caption model it says so and offers to get one (never a made-up caption);
a BLIP folder on disk (a tiny random one, saved with save_pretrained) sets it up and the caption shows, first
pending, then with its model; a caption edited here is kept over any later captioning and reaches search."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PySide6.QtWidgets import QMessageBox

from app.ui.caption_panel import CaptionPanel
from app.ui.messages import MessageBridge
from app.ui.reader import Reader
from test_captions import tiny_blip
from test_search_service import add_photos

WAIT = 120_000  # ms: a deadline for conditions on a busy 2-core machine, not a timing

pytestmark = [pytest.mark.ml, pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                                        "Selecting when no model has been set")]


@dataclass
class Current:
    id: int


@pytest.fixture
def panel(qtbot, library):
    reader, bridge = Reader(), MessageBridge()
    seen = []
    bridge.shown.connect(seen.append)
    library.tasks  # the task engine is made on the GUI thread, as the window does
    panel = CaptionPanel(reader, bridge)
    panel.messages_seen = seen
    qtbot.addWidget(panel)
    panel.set_library(library)
    yield panel
    panel.set_library(None)
    reader.close()


def open_photo(qtbot, panel, photo_id: int) -> None:
    panel.show_info(Current(photo_id))
    qtbot.waitUntil(lambda: panel.loaded_for == photo_id, timeout=WAIT)


def reread(qtbot, panel) -> None:
    panel.loaded_for = None
    panel.library_changed()
    qtbot.waitUntil(lambda: panel.loaded_for == panel.photo_id, timeout=WAIT)


def test_no_model_says_so_then_a_folder_on_disk_captions_the_photo(qtbot, panel, library, tmp_path):
    first, _second = add_photos(library, 2)
    open_photo(qtbot, panel, first)
    assert panel.model_box.isVisibleTo(panel) and "No caption model is installed" in panel.model_label.text()
    assert panel.text.toPlainText() == "" and not panel.pending() and library.captions.list() == []

    panel.import_model(tiny_blip(tmp_path / "blip"))
    qtbot.waitUntil(lambda: panel.busy == 0 and not panel.model_box.isVisibleTo(panel), timeout=WAIT)
    assert library.captions.model_id() == "caption:blip"
    assert panel.pending() and "Captioning with caption:blip" in panel.source.text()
    assert panel.text.toPlainText() == ""  # nothing is shown before the model wrote it
    library.tasks.run_until_idle()  # the background worker's part
    reread(qtbot, panel)
    caption = library.captions.get(first)
    assert not panel.pending() and panel.text.toPlainText() == caption.text
    assert "By caption:blip" in panel.source.text()


def test_an_edit_is_kept_over_captioning_and_reaches_search(qtbot, panel, library, tmp_path):
    first, second = add_photos(library, 2)
    folder = tiny_blip(tmp_path / "blip")
    library.captions.import_model(folder, "caption:one")
    library.captions.schedule()
    library.tasks.run_until_idle()
    open_photo(qtbot, panel, first)
    assert panel.caption.model == "caption:one"

    panel.text.setPlainText("Grandma feeding the ducks")
    assert panel.save(panel.text.toPlainText())
    qtbot.waitUntil(lambda: panel.busy == 0 and panel.caption.edited, timeout=WAIT)
    assert "Your words" in panel.source.text()
    assert first in [i for i, _ in library.text_index.words("ducks")]

    library.captions.import_model(folder, "caption:two")  # a new model re-captions every other photo
    library.captions.schedule()
    library.tasks.run_until_idle()
    reread(qtbot, panel)
    assert panel.text.toPlainText() == "Grandma feeding the ducks" and not panel.pending()
    assert library.captions.get(second).model == "caption:two"


def test_download_asks_first_and_an_offline_failure_is_said(qtbot, panel, library, monkeypatch):
    from app.core.ml import registry

    (photo,) = add_photos(library, 1)
    open_photo(qtbot, panel, photo)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.No)
    panel.download_button.click()
    assert "blip-image-captioning-base" in asked[0] and "990 MB" in asked[0] and panel.busy == 0
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(registry, "DOWNLOAD_HOST", "download.invalid")  # never resolves, online or not
    panel.download_button.click()
    qtbot.waitUntil(lambda: panel.busy == 0 and any("could not be set up" in m.text for m in panel.messages_seen),
                    timeout=WAIT)
    assert library.captions.model_id() is None and panel.model_box.isVisibleTo(panel)


def test_the_window_hosts_the_caption_for_the_current_photo(qtbot, library, tmp_path):
    from PySide6.QtCore import QItemSelectionModel, QSettings

    from app.bench.gui import generate_library
    from app.ui.main_window import MainWindow
    from app.ui.settings import AppSettings

    generate_library(library, 2, thumbnails=0)
    library.captions.set(1, "A picnic by the river")
    window = MainWindow(AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    try:
        assert window.open_library(library.root)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.browser.loaded and window.grid_model.rowCount() == 2, timeout=WAIT)
        panel = window.caption_panel
        assert window.info_panel.isAncestorOf(panel)
        select = window.grid_view.selectionModel().setCurrentIndex
        flag = QItemSelectionModel.SelectionFlag.ClearAndSelect
        select(window.grid_model.index(window.grid_model.row_of(1), 0), flag)
        qtbot.waitUntil(lambda: panel.loaded_for == 1, timeout=WAIT)
        assert panel.text.toPlainText() == "A picnic by the river" and panel.model_box.isVisibleTo(panel)
        select(window.grid_model.index(window.grid_model.row_of(2), 0), flag)
        qtbot.waitUntil(lambda: panel.loaded_for == 2, timeout=WAIT)
        assert panel.text.toPlainText() == ""
    finally:
        window.close()


def test_typing_then_moving_to_another_photo_saves_for_the_first(qtbot, panel, library):
    first, second = add_photos(library, 2)
    library.captions.set(second, "the second photo's caption")
    panel.show()
    qtbot.waitExposed(panel)
    open_photo(qtbot, panel, first)
    panel.activateWindow()
    panel.text.setFocus()
    qtbot.waitUntil(panel.text.hasFocus, timeout=WAIT)
    panel.text.setPlainText("typed for the first")
    open_photo(qtbot, panel, second)  # moved on (a key in the grid) while the field still had focus
    assert panel.text.toPlainText() == "the second photo's caption"
    panel.text.clearFocus()  # leaving the field now saves nothing for the second photo
    qtbot.waitUntil(lambda: panel.busy == 0, timeout=WAIT)
    assert library.captions.get(first).text == "typed for the first"
    assert library.captions.get(second).text == "the second photo's caption"
