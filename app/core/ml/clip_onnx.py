"""The default CPU runtime: the exported CLIP towers on onnxruntime. Never imports torch.

A model folder holds image.onnx / text.onnx (and int8 copies), the BPE merges and the preprocessing settings
written by `TorchClip.export_onnx`; `onnx.json` records them.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
from PIL import Image

from app.core.ml.clip_tokenizer import ClipTokenizer
from app.core.ml.errors import ModelError
from app.core.ml.preprocess import PreprocessConfig, batch_inputs, normalize_rows

log = logging.getLogger(__name__)

ONNX_MANIFEST = "onnx.json"


def has_onnx_export(folder: Path, variant: str = "fp32") -> bool:
    manifest = folder / ONNX_MANIFEST
    if not manifest.is_file():
        return False
    files = json.loads(manifest.read_text()).get("files", {})
    keys = ("image", "text") if variant == "fp32" else ("image_int8", "text_int8")
    return all(k in files and (folder / files[k]).is_file() for k in keys)


def _session(path: Path, threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads or (os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(f"cannot load ONNX model {path}: {exc}") from exc


class OnnxClip:
    """Same interface as TorchClip: encode_images / encode_texts return L2-normalised float32 rows."""

    device = "cpu"

    def __init__(self, folder: Path | str, *, variant: str = "int8", threads: int | None = None):
        self.folder = Path(folder)
        if variant not in ("fp32", "int8"):
            raise ValueError(f"unknown ONNX variant {variant!r}")
        if not has_onnx_export(self.folder, variant):
            raise ModelError(f"{self.folder} has no exported ONNX {variant} towers")
        manifest = json.loads((self.folder / ONNX_MANIFEST).read_text())
        files = manifest["files"]
        suffix = "_int8" if variant == "int8" else ""
        self.runtime = f"onnx-{variant}"
        self.preprocess = PreprocessConfig.from_dict(manifest["preprocess"])
        tok = manifest["tokenizer"]
        self.tokenizer = ClipTokenizer(
            self.folder / tok["bpe"], context_length=tok["context_length"], clean=tok.get("clean") or "lower"
        )
        self._threads = threads
        self._image_path = self.folder / files["image" + suffix]
        self._text_path = self.folder / files["text" + suffix]
        self._image = None
        self._text = None
        self.dim = int(manifest["dim"])

    def _image_session(self):
        if self._image is None:  # loaded on first use: text-only search never pays for the image tower
            self._image = _session(self._image_path, self._threads)
        return self._image

    def _text_session(self):
        if self._text is None:
            self._text = _session(self._text_path, self._threads)
        return self._text

    def encode_images(self, images: list[Image.Image]) -> np.ndarray:
        return self.encode_pixels(batch_inputs(images, self.preprocess))

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray:
        session = self._image_session()
        (out,) = session.run(None, {session.get_inputs()[0].name: pixels})
        return normalize_rows(out)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        session = self._text_session()
        (out,) = session.run(None, {session.get_inputs()[0].name: self.tokenizer(texts)})
        return normalize_rows(out)
