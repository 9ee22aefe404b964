"""openai-whisper speech backend (torch, the `ml` extra): local checkpoints, CUDA or Apple MPS when present.

Audio is decoded with PyAV into a 16 kHz array, so no ffmpeg binary is needed. Torch is imported here only.
"""

from __future__ import annotations

from pathlib import Path

from app.core.ml.errors import ModelError
from app.core.ml.speech import Transcript, decode_audio


def _device() -> str:
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


class WhisperTorchBackend:
    def __init__(self, model_id: str, checkpoint: "str | Path"):
        try:
            import whisper
        except ImportError as exc:
            raise ModelError("openai-whisper is not installed (the `ml` extra: `pip install shoebox[ml]`)") from exc
        path = Path(checkpoint)
        if path.is_dir():
            found = sorted(path.glob("*.pt"))
            if not found:
                raise ModelError(f"no Whisper checkpoint (*.pt) in {path}")
            path = found[0]
        self.model_id = model_id
        self.device = _device()
        try:
            self._model = whisper.load_model(str(path), device=self.device)
        except Exception as exc:
            raise ModelError(f"cannot load speech model {model_id} from {path}: {exc}") from exc

    def transcribe(self, audio) -> Transcript:
        samples = decode_audio(audio)
        # temperature 0 only: no sampling fallback (deterministic, and random test weights stay finite).
        result = self._model.transcribe(samples, temperature=0.0, fp16=self.device == "cuda",
                                        condition_on_previous_text=False)
        return Transcript(result["text"].strip(), result.get("language"), round(len(samples) / 16_000, 3),
                          self.model_id)
