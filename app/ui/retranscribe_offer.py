"""After the speech model changes, offer to transcribe again the voice notes an earlier model transcribed.

The voice notes panel tells this object which speech model it read (`model_seen`); when it differs from the one
seen before in the same library (a model set up from the panel, `shoebox models use speech:...` meanwhile), the
offer goes through the window's one message path: "Re-transcribe N voice notes with MODEL", with a button. The
work is the usual transcription chain in the background; hand-edited transcripts are never touched.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject

KEY = "voice-retranscribe"


def _tr(text: str) -> str:
    return QCoreApplication.translate("RetranscribeOffer", text)


class RetranscribeOffer(QObject):
    """Tests look at `offered` (the (count, model) last offered) and `queued` (notes queued by the button)."""

    def __init__(self, reader, messages, parent=None):
        super().__init__(parent)
        self.reader, self.messages = reader, messages
        self.library = None
        self.seen: str | None = None
        self.offered: tuple[int, str] | None = None
        self.queued: int | None = None

    def set_library(self, library) -> None:
        self.library = library
        self.seen = None  # the first model a library shows is not a change

    def model_seen(self, model_id: str | None) -> None:
        previous, self.seen = self.seen, model_id
        if previous is not None and model_id is not None and model_id != previous:
            self.check()

    def check(self) -> None:
        """Count the notes of other models (off the GUI thread) and offer to redo them when there are some."""
        library = self.library
        if library is None or library.read_only:
            return

        def done(result, error) -> None:
            if library is not self.library or error is not None or not result[0]:
                return
            count, model_id = result
            self.offered = (count, model_id)
            notes = _tr("1 voice note") if count == 1 else _tr("{count} voice notes").format(count=count)
            self.messages.info(
                _tr("The speech model is now {model}. Re-transcribe {notes} with {model}? Transcripts you edited "
                    "are kept.").format(model=model_id, notes=notes),
                key=KEY, actions=[(_tr("Re-transcribe {notes}").format(notes=notes), self.accept)])

        self.reader.read(KEY, lambda: (library.voice.outdated(), library.voice.model_id()), done)

    def accept(self) -> None:
        """The message's button: queue the notes for the background worker."""
        library = self.library
        if library is None:
            return

        def done(count, error) -> None:
            if error is not None:
                self.messages.error(_tr("The voice notes could not be queued: {error}").format(error=error), error,
                                    key=KEY)
                return
            self.queued = count
            self.messages.info(_tr("{count} voice notes are being transcribed again in the background.").format(
                count=count), key=KEY)

        self.reader.read(f"{KEY}-queue", lambda: library.voice.retranscribe(), done)
