"""The info panel's voice notes: record one for the current photo (level and time shown, Stop saves it), attach an
audio file instead (button or drop), play a note, edit its transcript, delete it (Edit → Undo brings it back).

Every read and write goes through `library.voice` on the reader thread; a new note is transcribed by the
background worker and its transcript shows when the library changes (the window's LibraryWatcher calls
`library_changed`). A transcript edited here is the user's own words: no re-transcription replaces it. With no
microphone the Record button says so; with no speech model the panel says so and offers to get one.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QLabel, QMessageBox, QProgressBar,
                               QPushButton, QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from app.ui.model_offer import ModelOffer
from app.ui.panel_write import write_on_reader
from app.ui.retranscribe_offer import RetranscribeOffer
from app.ui.text_box import TextBox
from app.ui.voice_recorder import NoteRecorder, microphone_available
from app.ui.workers import Worker

log = logging.getLogger(__name__)

PLAY, STOP = "\u25b6", "\u25a0"


def _tr(text: str) -> str:
    return QCoreApplication.translate("VoicePanel", text)


def clock(seconds: float | None) -> str:
    seconds = int(round(seconds or 0))
    return f"{seconds // 60}:{seconds % 60:02d}"


def audio_paths(urls) -> list[str]:
    """The local audio files among dropped URLs."""
    from app.core.voice.service import AUDIO_SUFFIXES

    return [u.toLocalFile() for u in urls if u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in AUDIO_SUFFIXES]



class NoteRow(QFrame):
    """One note: play, length and date, delete; its transcript below, editable."""

    def __init__(self, note, panel: "VoicePanel"):
        super().__init__()
        self.note = note
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        top = QHBoxLayout()
        self.play = QToolButton(text=PLAY, autoRaise=True, toolTip=_tr("Play the note"))
        self.play.clicked.connect(lambda: panel.toggle_play(self.note.id))
        self.label = QLabel()
        self.delete = QToolButton(text=_tr("Delete"), autoRaise=True,
                                  toolTip=_tr("Delete this voice note (Edit → Undo brings it back)"))
        self.delete.clicked.connect(lambda: panel.delete(self.note.id))
        top.addWidget(self.play)
        top.addWidget(self.label, 1)
        top.addWidget(self.delete)
        layout.addLayout(top)
        self.transcript = TextBox()
        self.transcript.setTabChangesFocus(True)
        self.transcript.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 10)
        self.transcript.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.transcript.left.connect(lambda: panel.save_transcript(self.note.id, self.transcript.toPlainText()))
        layout.addWidget(self.transcript)
        self.show_note(note)

    def show_note(self, note) -> None:
        self.note = note
        when = time.strftime("%d %b %Y %H:%M", time.localtime(note.created_at))
        self.label.setText(f"{clock(note.duration_s)} · {when}")
        if note.pending:
            placeholder = _tr("Transcribing…")
        elif note.error:
            placeholder = _tr("Could not be transcribed: {error}").format(error=note.error)
        else:
            placeholder = _tr("Nothing was heard; type what the note says")
        self.transcript.setPlaceholderText(placeholder)
        self.transcript.setToolTip(_tr("Your words: kept over any re-transcription") if note.transcript_edited
                                   else _tr("Transcribed by {model}; edit it to correct it").format(
                                       model=note.model) if note.model else "")
        if not self.transcript.hasFocus() and self.transcript.toPlainText() != (note.transcript or ""):
            self.transcript.setPlainText(note.transcript or "")


class VoicePanel(QWidget):
    """Tests wait on `loaded_for` (the photo whose notes are shown) and `busy` (writes in flight)."""

    def __init__(self, reader, messages, parent=None):
        super().__init__(parent)
        self.reader, self.messages = reader, messages
        self.library = None
        self.photo_id: int | None = None
        self.loaded_for: int | None = None
        self.busy = 0
        self.rows: dict[int, NoteRow] = {}
        self.player = None
        self.playing: int | None = None
        self.model_message: str | None = None
        self.model_id: str | None = None  # the library's speech model, read with the notes
        self.setup_worker = Worker(threads=1, parent=self)  # downloads take minutes: never in the reader's way
        self.retranscribe = RetranscribeOffer(reader, messages, self)  # offered when the speech model changes
        self.recorder = NoteRecorder(self)
        self.recorder.started.connect(self._recording_started)
        self.recorder.level.connect(lambda level: self.level.setValue(int(level * 100)))
        self.recorder.elapsed.connect(lambda seconds: self.elapsed.setText(clock(seconds)))
        self.recorder.finished.connect(self._recording_ended)
        self.recorder.finished.connect(self.save_recording)
        self.recorder.failed.connect(self._recording_ended)
        self.recorder.failed.connect(lambda message: self.messages.warning(message, key="voice-record"))
        self.setAcceptDrops(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        header = QHBoxLayout()
        title = QLabel(_tr("Voice notes"))
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.record = QPushButton(_tr("\u25cf Record"))
        self.record.clicked.connect(self.start_recording)
        self.attach_button = QPushButton(_tr("Attach…"))
        self.attach_button.setToolTip(_tr("Attach an audio file (WAV, MP3, M4A, …) as a voice note; "
                                          "you can also drop one here"))
        self.attach_button.clicked.connect(self.choose_file)
        header.addWidget(title, 1)
        header.addWidget(self.record)
        header.addWidget(self.attach_button)
        layout.addLayout(header)

        self.recording_bar = QWidget()
        bar = QHBoxLayout(self.recording_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.level = QProgressBar(textVisible=False, maximum=100)
        self.level.setFixedHeight(10)
        self.level.setToolTip(_tr("Microphone level"))
        self.elapsed = QLabel(clock(0))
        self.stop_button = QPushButton(_tr("\u25a0 Stop"))
        self.stop_button.setToolTip(_tr("Stop and save the note"))
        self.stop_button.clicked.connect(self.recorder.stop)
        bar.addWidget(self.level, 1)
        bar.addWidget(self.elapsed)
        bar.addWidget(self.stop_button)
        layout.addWidget(self.recording_bar)
        self.recording_bar.hide()

        self.model_box = ModelOffer("", self.ask_download, self.choose_model_folder)
        self.model_label = self.model_box.label
        self.download_button, self.locate_button = self.model_box.download_button, self.model_box.locate_button
        layout.addWidget(self.model_box)

        self.empty = QLabel(_tr("No voice notes on this photo."))
        self.empty.setStyleSheet("color: gray;")
        layout.addWidget(self.empty)
        self.list_layout = QVBoxLayout()
        self.list_layout.setSpacing(4)
        layout.addLayout(self.list_layout)
        self.devices = None  # QMediaDevices, made when a photo first shows (QtMultimedia costs ~0.1 s to start)
        self.record.setEnabled(False)
        self.setEnabled(False)

    # -- following the library and the current photo ------------------------------------------------------------
    def set_library(self, library) -> None:
        if self.recorder.recording:
            self.recorder.cancel()
            self._recording_ended()
        self._stop_player()
        if library is None:
            self.setup_worker.wait()  # a model set-up still running finishes before its library closes
        self.library = library
        self.retranscribe.set_library(library)
        self.photo_id = None
        self._show_notes([])
        self.loaded_for = None
        self.setEnabled(False)

    def show_info(self, info, selected: int = 1) -> None:
        """Follow the current photo (PhotoBrowser.current_changed)."""
        photo_id = info.id if info is not None and selected <= 1 else None
        if photo_id == self.photo_id:
            return
        self.photo_id = photo_id
        if self.playing is not None:
            self._stop_player()
        self.refresh()

    def library_changed(self) -> None:
        """Something was committed (a transcript arrived, a note was added elsewhere): read the notes again."""
        if self.photo_id is not None:
            self.refresh()

    def refresh(self) -> None:
        library, photo_id = self.library, self.photo_id
        self.setEnabled(library is not None and photo_id is not None and not library.read_only)
        if library is None or photo_id is None:
            self._show_notes([])
            self.loaded_for = None
            return
        if self.devices is None:
            from PySide6.QtMultimedia import QMediaDevices

            self.devices = QMediaDevices(self)
            self.devices.audioInputsChanged.connect(self._update_record_button)  # a headset plugged in
            self._update_record_button()
        from app.core.voice import models

        def read():
            return library.voice.list(photo_id), models.missing(library), library.voice.model_id()

        def done(result, error) -> None:
            if library is not self.library or photo_id != self.photo_id:
                return
            if error is not None:
                self.messages.error(_tr("The voice notes could not be read: {error}").format(error=error), error,
                                    key="voice")
                return
            notes, missing, self.model_id = result
            self.retranscribe.model_seen(self.model_id)
            self._show_notes(notes)
            self._show_model_message(missing)
            self.loaded_for = photo_id

        self.reader.read("voice-notes", read, done)

    def _show_notes(self, notes) -> None:
        wanted = {n.id for n in notes}
        for note_id in [i for i in self.rows if i not in wanted]:
            row = self.rows.pop(note_id)
            self.list_layout.removeWidget(row)
            row.deleteLater()
        for position, note in enumerate(notes):
            row = self.rows.get(note.id)
            if row is None:
                row = self.rows[note.id] = NoteRow(note, self)
                self.list_layout.insertWidget(position, row)
            else:
                row.show_note(note)
        self.empty.setVisible(not notes and self.photo_id is not None)

    def _show_model_message(self, message: str | None) -> None:
        self.model_message = message
        self.model_label.setText(message or "")
        self.model_box.setVisible(message is not None)

    def note(self, note_id: int):
        row = self.rows.get(note_id)
        return row.note if row is not None else None

    # -- writes, on the reader thread ---------------------------------------------------------------------------
    def _write(self, job, failure: str, after=None) -> bool:
        return write_on_reader(self, "voice", job, failure=failure, after=after,
                               read_only=_tr("This library is open read-only: voice notes cannot be changed."))

    def attach(self, path: "str | Path") -> bool:
        """Attach an audio file to the current photo (copied into the library; the file itself stays)."""
        photo_id = self.photo_id
        if photo_id is None:
            return False
        return self._write(lambda lib: lib.voice.add(photo_id, path),
                           _tr("The audio could not be attached: {error}"))

    def save_recording(self, photo_id: int, path: str) -> None:
        """A finished recording becomes a note of the photo it was recorded for; its temporary file goes once the
        note has its own copy (on a failure it stays, and the message says where)."""

        def job(lib):
            note_id = lib.voice.add(photo_id, path)
            Path(path).unlink(missing_ok=True)
            return note_id

        kept = path.replace("{", "{{").replace("}", "}}")
        self._write(job, _tr("The recording could not be saved ({error}); it is kept in {path}").replace(
            "{path}", kept))

    def save_transcript(self, note_id: int, text: str) -> None:
        note = self.note(note_id)
        if note is None or text.strip() == (note.transcript or "").strip():
            return
        self._write(lambda lib: lib.voice.edit_transcript(note_id, text),
                    _tr("The transcript could not be saved: {error}"))

    def delete(self, note_id: int) -> None:
        if self.playing == note_id:
            self._stop_player()  # let go of the file before it moves
        self._write(lambda lib: lib.voice.remove(note_id), _tr("The voice note could not be deleted: {error}"),
                    after=lambda _result: self.messages.info(
                        _tr("Voice note deleted."), key="voice",
                        actions=[(_tr("Undo"), lambda: self.undo_delete(note_id))]))

    def undo_delete(self, note_id: int) -> None:
        """The message's Undo: brings this note back while its removal is still the last change."""
        self._write(lambda lib: lib.undo.undo_last(label=f"remove voice note {note_id}"),
                    _tr("The voice note could not be restored: {error}"))

    # -- attaching a file ---------------------------------------------------------------------------------------
    def choose_file(self) -> None:
        from app.core.voice.service import AUDIO_SUFFIXES

        patterns = " ".join(f"*{s}" for s in sorted(AUDIO_SUFFIXES))
        path, _ = QFileDialog.getOpenFileName(self, _tr("Attach a voice note"), str(Path.home()),
                                              _tr("Audio") + f" ({patterns})")
        if path:
            self.attach(path)

    def attach_dropped(self, urls) -> bool:
        """Files dropped elsewhere (the viewer): attached when every one is audio; False leaves them to others."""
        paths = audio_paths(urls)
        if not paths or len(paths) != len(urls) or not self.isEnabled():
            return False
        return all([self.attach(path) for path in paths])

    def dragEnterEvent(self, event) -> None:
        if self.isEnabled() and audio_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = audio_paths(event.mimeData().urls())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        for path in paths:
            self.attach(path)

    # -- recording ----------------------------------------------------------------------------------------------
    def _update_record_button(self) -> None:
        available = microphone_available()
        self.record.setEnabled(available and not self.recorder.recording)
        self.record.setToolTip(_tr("Record a voice note for this photo") if available else
                               _tr("No microphone found on this computer: attach an audio file instead "
                                   "(or drop one here)."))

    def start_recording(self) -> None:
        if self.photo_id is None or self.library is None:
            return
        self.recorder.start(self.photo_id)

    def _recording_started(self) -> None:
        self.level.setValue(0)
        self.recording_bar.show()
        self.record.setEnabled(False)

    def _recording_ended(self, *_args) -> None:
        self.recording_bar.hide()
        self._update_record_button()

    # -- playing ------------------------------------------------------------------------------------------------
    def _ensure_player(self):
        if self.player is None:
            from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer

            self.player = QMediaPlayer(self)
            self.audio_output = QAudioOutput(self)
            self.player.setAudioOutput(self.audio_output)
            self.player.playbackStateChanged.connect(lambda _state: self._show_playing())
            self.player.errorOccurred.connect(lambda _error, text: self.messages.warning(
                _tr("The note cannot be played: {error}").format(error=text), key="voice-play"))
        return self.player

    def toggle_play(self, note_id: int) -> None:
        from PySide6.QtMultimedia import QMediaDevices, QMediaPlayer

        note = self.note(note_id)
        if note is None:
            return
        player = self._ensure_player()
        if self.playing == note_id and player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            player.stop()
            return
        self.playing = note_id
        player.setSource(QUrl.fromLocalFile(str(note.audio)))
        if QMediaDevices.audioOutputs():
            player.play()
        else:
            self.messages.warning(_tr("No sound output on this computer: the note cannot be heard here."),
                                  key="voice-play")
        self._show_playing()

    def _show_playing(self) -> None:
        from PySide6.QtMultimedia import QMediaPlayer

        playing = self.player is not None and self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState
        for note_id, row in self.rows.items():
            on = playing and note_id == self.playing
            row.play.setText(STOP if on else PLAY)
            row.play.setToolTip(_tr("Stop playing") if on else _tr("Play the note"))

    def _stop_player(self) -> None:
        if self.player is not None:
            self.player.stop()
            self.player.setSource(QUrl())
        self.playing = None

    # -- the speech model ---------------------------------------------------------------------------------------
    def ask_download(self) -> None:
        from app.core.voice.models import DOWNLOADS_MB

        model_id = self.model_id
        if self.library is None or model_id is None:
            return
        name = model_id.removeprefix("speech:whisper-").removesuffix("/ct2")
        size = DOWNLOADS_MB.get(name)
        if size is None:
            self.messages.warning(_tr("{model} cannot be downloaded by Shoebox; use a model folder you have.").format(
                model=model_id), key="voice-model")
            return
        answer = QMessageBox.question(self, _tr("Download the speech model"), _tr(
            "Download Whisper {name} (about {size} MB, needs internet once) to transcribe voice notes?").format(
            name=name, size=size))
        if answer == QMessageBox.StandardButton.Yes:
            self.install_model(model_id)

    def choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Folder of a Whisper model (CTranslate2, with model.bin)"))
        if folder:
            self.import_model(folder)

    def install_model(self, model_id: str) -> None:
        from app.core.voice import models

        library = self.library
        self._set_up(lambda: models.install(library, model_id, self._progress),
                     _tr("Downloading the speech model {model}…").format(model=model_id))

    def import_model(self, folder: "str | Path") -> None:
        from app.core.voice import models

        library = self.library
        self._set_up(lambda: models.import_folder(library, folder),
                     _tr("Installing the speech model in {folder}…").format(folder=folder))

    def _progress(self, text: str) -> None:
        self.messages.info(_tr("Speech model: {step}").format(step=text), key="voice-model")  # any thread

    def _set_up(self, job, started: str) -> None:
        if self.library is None:
            return
        self.busy += 1

        def finished(ok: bool) -> None:
            self.busy -= 1
            if ok:
                self.refresh()

        self.model_box.set_up(self.setup_worker, self.messages, key="voice-model", job=job, started=started,
                              failed=_tr("The speech model could not be set up: {error}"),
                              ready=_tr("Speech model {model} is ready; voice notes are being transcribed."),
                              finished=finished)
