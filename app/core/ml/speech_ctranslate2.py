"""faster-whisper (CTranslate2) speech backend: the default runtime, int8 on CPU, float16 on CUDA."""

from __future__ import annotations

import os
from pathlib import Path

from app.core.ml.errors import ModelError
from app.core.ml.speech import Transcript, decode_audio


class CTranslate2Backend:
    def __init__(self, model_id: str, folder: "str | Path", *, device: str = "auto"):
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ModelError("faster-whisper is not installed (`pip install faster-whisper`)") from exc
        import ctranslate2

        if device == "auto":
            device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
        self.model_id = model_id
        self.device = device
        compute = "int8" if device == "cpu" else "float16"
        try:
            self._model = WhisperModel(str(folder), device=device, compute_type=compute,
                                       cpu_threads=os.cpu_count() or 1)
        except Exception as exc:  # a damaged or foreign folder
            raise ModelError(f"cannot load speech model {model_id} from {folder}: {exc}") from exc

    def transcribe(self, audio) -> Transcript:
        samples = decode_audio(audio)
        # Greedy decoding (beam 1): about twice as fast as beam 5 with the same words on short notes.
        segments, info = self._model.transcribe(samples, beam_size=1, vad_filter=False,
                                                condition_on_previous_text=False)
        text = " ".join(s.text.strip() for s in segments).strip()
        return Transcript(text, info.language, round(len(samples) / 16_000, 3), self.model_id)
