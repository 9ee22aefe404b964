"""Recording a voice note from the microphone: QAudioSource's PCM goes into a WAV file while its level and length
are reported; Stop hands the file over (`finished(photo_id, path)`), and the voice panel saves it as a note.

The device part is thin on purpose: everything after the bytes arrive (`Take`: conversion to mono 16-bit,
the level, the length, the WAV file) runs without a microphone, so tests feed it audio instead. QAudioSource
rather than QMediaRecorder because the recorder reports no level; the WAV it writes is what `voice.add` expects.
"""

from __future__ import annotations

import logging
import tempfile
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

RATE = 16_000  # what Whisper listens at; asked of the device, which may answer with its own rate
MIN_SECONDS = 0.3  # a click on Record then Stop: nothing said, nothing saved


def _tr(text: str) -> str:
    return QCoreApplication.translate("NoteRecorder", text)


def to_mono_int16(data: bytes, sample_format: str, channels: int) -> np.ndarray:
    """Interleaved PCM of the device's format (int16, int32, float, uint8) as mono 16-bit samples."""
    import numpy as np  # here, not at the top: the window imports this module at start, before numpy is needed

    if sample_format == "float":
        samples = np.frombuffer(data, np.float32)
        samples = np.clip(samples, -1.0, 1.0) * 32767
    elif sample_format == "int32":
        samples = np.frombuffer(data, np.int32) / 65536
    elif sample_format == "uint8":
        samples = (np.frombuffer(data, np.uint8).astype(np.float32) - 128) * 256
    else:
        samples = np.frombuffer(data, np.int16)
    if channels > 1:
        samples = samples[: len(samples) // channels * channels].reshape(-1, channels).mean(axis=1)
    return samples.astype(np.int16)


def peak_level(samples: np.ndarray) -> float:
    """0..1: the loudest sample of a chunk (what a level meter shows)."""
    import numpy as np

    if samples.size == 0:
        return 0.0
    return float(np.abs(samples.astype(np.int32)).max()) / 32768


class Take:
    """One recording being written to a WAV file: feed it the device's bytes; `finish()` closes the file."""

    def __init__(self, path: Path, rate: int = RATE, sample_format: str = "int16", channels: int = 1):
        self.path = Path(path)
        self.rate, self.sample_format, self.channels = rate, sample_format, channels
        self.frames = 0
        self._wav = wave.open(str(self.path), "wb")
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(rate)

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def feed(self, data: bytes) -> float:
        """Append a chunk; returns its level (0..1)."""
        samples = to_mono_int16(data, self.sample_format, self.channels)
        self._wav.writeframes(samples.tobytes())
        self.frames += len(samples)
        return peak_level(samples)

    def finish(self) -> Path:
        self._wav.close()
        return self.path

    def discard(self) -> None:
        self._wav.close()
        self.path.unlink(missing_ok=True)


def microphone_available() -> bool:
    from PySide6.QtMultimedia import QMediaDevices

    return bool(QMediaDevices.audioInputs())


def _format_name(sample_format) -> str:
    from PySide6.QtMultimedia import QAudioFormat

    return {QAudioFormat.SampleFormat.Float: "float", QAudioFormat.SampleFormat.Int32: "int32",
            QAudioFormat.SampleFormat.UInt8: "uint8"}.get(sample_format, "int16")


class NoteRecorder(QObject):
    """`started`, then `level(0..1)` and `elapsed(seconds)` while recording; `finished(photo_id, wav_path)` after
    Stop (the file is the receiver's to keep or delete); `failed(message)` when the device cannot record."""

    started = Signal()
    level = Signal(float)
    elapsed = Signal(float)
    finished = Signal(int, str)
    failed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.take: Take | None = None
        self.photo_id: int | None = None
        self._source = None
        self._io = None

    @property
    def recording(self) -> bool:
        return self.take is not None

    def begin(self, photo_id: int, rate: int = RATE, sample_format: str = "int16", channels: int = 1) -> Take:
        """A new take in a temporary file (also what tests call in place of a microphone)."""
        handle, name = tempfile.mkstemp(prefix="shoebox-note-", suffix=".wav")
        import os

        os.close(handle)
        self.photo_id = photo_id
        self.take = Take(Path(name), rate, sample_format, channels)
        self.started.emit()
        self.elapsed.emit(0.0)
        return self.take

    def feed(self, data: bytes) -> None:
        if self.take is not None and data:
            self.level.emit(self.take.feed(data))
            self.elapsed.emit(self.take.seconds)

    def start(self, photo_id: int) -> bool:
        """Record from the default microphone; False (and `failed`) when there is none or it cannot start."""
        from PySide6.QtMultimedia import QAudio, QAudioFormat, QAudioSource, QMediaDevices

        if self.recording:
            return False
        device = QMediaDevices.defaultAudioInput()
        if device.isNull():
            self.failed.emit(_tr("No microphone found on this computer."))
            return False
        wanted = QAudioFormat()
        wanted.setSampleRate(RATE)
        wanted.setChannelCount(1)
        wanted.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        fmt = wanted if device.isFormatSupported(wanted) else device.preferredFormat()
        self.begin(photo_id, fmt.sampleRate(), _format_name(fmt.sampleFormat()), fmt.channelCount())
        self._source = QAudioSource(device, fmt, self)
        self._io = self._source.start()
        if self._io is None or self._source.error() != QAudio.Error.NoError:
            self._source = self._io = None
            self.take.discard()
            self.take = None
            self.failed.emit(_tr("The microphone could not be opened."))
            return False
        self._io.readyRead.connect(self._read)
        return True

    def _read(self) -> None:
        if self._io is not None:
            self.feed(bytes(self._io.readAll()))

    def stop(self) -> None:
        """End the take: a long enough one is handed over by `finished`, a click-length one is dropped."""
        if self._source is not None:
            self._read()
            self._source.stop()
            self._source.deleteLater()
            self._source = self._io = None
        take, self.take = self.take, None
        if take is None:
            return
        if take.seconds < MIN_SECONDS:
            take.discard()
            self.failed.emit(_tr("Nothing was recorded (hold on a moment longer before Stop)."))
            return
        self.finished.emit(self.photo_id, str(take.finish()))

    def cancel(self) -> None:
        """Drop the take (the photo or library changed mid-recording)."""
        if self._source is not None:
            self._source.stop()
            self._source.deleteLater()
            self._source = self._io = None
        if self.take is not None:
            self.take.discard()
            self.take = None
