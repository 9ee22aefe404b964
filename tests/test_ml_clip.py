"""The open_clip backend, ONNX export and the torch-free ONNX runtime agree on the same model."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ml_tiny_model import TINY_ARCH, sample_images, tiny_checkpoint

pytestmark = pytest.mark.ml

TEXTS = ["a dog on the beach", "Ünïcödé café at night, 2019!", "birthday cake with candles " * 20]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Checkpoint -> loaded through the real path -> saved as a model folder -> exported to ONNX (+int8)."""
    from app.core.ml.clip_torch import TorchClip

    root = tmp_path_factory.mktemp("clip")
    checkpoint = tiny_checkpoint(root / "arch", seed=1)
    clip = TorchClip.from_checkpoint(TINY_ARCH, checkpoint, device="cpu")
    folder = root / "model"
    clip.save_folder(folder)
    reloaded = TorchClip.from_folder(folder, device="cpu")
    reloaded.export_onnx(folder, int8=True)
    return reloaded, folder


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float((a * b).sum(axis=1).min())


def test_checkpoint_round_trip_keeps_weights(exported, tmp_path):
    from app.core.ml.clip_torch import TorchClip

    clip, folder = exported
    again = TorchClip.from_folder(folder, device="cpu")
    images = sample_images(3)
    assert np.allclose(clip.encode_images(images), again.encode_images(images), atol=1e-6)
    vectors = clip.encode_texts(TEXTS)
    assert vectors.shape == (3, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("variant,threshold", [("fp32", 0.999), ("int8", 0.99)])
def test_onnx_runtime_matches_torch(exported, variant, threshold):
    from app.core.ml.clip_onnx import OnnxClip

    clip, folder = exported
    onnx = OnnxClip(folder, variant=variant, threads=1)
    images = sample_images(12, seed=3)
    assert _min_cosine(clip.encode_images(images), onnx.encode_images(images)) >= threshold
    assert _min_cosine(clip.encode_texts(TEXTS), onnx.encode_texts(TEXTS)) >= threshold
    assert onnx.runtime == f"onnx-{variant}"


def test_torch_free_tokenizer_matches_open_clip(exported):
    import open_clip

    from app.core.ml.clip_tokenizer import ClipTokenizer

    _, folder = exported
    ours = ClipTokenizer(folder / "bpe_simple_vocab_16e6.txt.gz")
    reference = open_clip.get_tokenizer("ViT-B-32")
    for text in TEXTS + ["x_y--z 3.14 <tag> &amp; \"quoted\"", ""]:
        assert (ours(text) == reference(text).numpy()).all(), text


def test_onnx_runtime_runs_without_torch(exported):
    """The base install has no torch: import torch must never happen on the ONNX path."""
    clip, folder = exported
    expected = clip.encode_texts(["a red car"])[0].tolist()
    code = f"""
import json, sys
sys.modules['torch'] = None  # any `import torch` now raises ImportError
sys.modules['open_clip'] = None
from app.core.ml.clip_onnx import OnnxClip
from PIL import Image
clip = OnnxClip({str(folder)!r}, variant='fp32', threads=1)
text = clip.encode_texts(['a red car'])[0]
image = clip.encode_images([Image.new('RGB', (64, 48), (200, 10, 10))])[0]
print(json.dumps(text.tolist()))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = np.array(json.loads(out.stdout.strip().splitlines()[-1]))
    assert float(got @ np.array(expected)) >= 0.999
