"""int8 dynamic quantisation of an exported tower (needs the `onnx` package, which the `ml` extra brings)."""

from __future__ import annotations

from pathlib import Path

from app.core.ml.errors import ModelError


def quantize_int8(source: Path, target: Path) -> None:
    """Weights to int8, activations quantised on the fly: about 2x faster on CPU at a cosine of ~0.99."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except Exception as exc:
        raise ModelError(f"int8 quantisation needs the `onnx` package: {exc}") from exc
    import logging

    tmp = target.with_suffix(".tmp")
    root = logging.getLogger()
    was = root.disabled
    root.disabled = True  # onnxruntime logs a "consider pre-processing" note on the root logger
    try:
        quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8)
    finally:
        root.disabled = was
    tmp.replace(target)
