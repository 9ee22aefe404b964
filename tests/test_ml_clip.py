"""The open_clip backend, ONNX export and the torch-free ONNX runtime agree on the same model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def _op_types(path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(path)).graph.node}


def test_image_tower_exports_fused_ops_that_quantise(exported):
    """Fast CPU path (docs/SEARCH.md): fused Attention -> QAttention, patch embedding as an int8 MatMul."""
    clip, folder = exported
    fp32, int8 = _op_types(folder / "image.onnx"), _op_types(folder / "image.int8.onnx")
    assert "Attention" in fp32 and "Conv" not in fp32
    assert "QAttention" in int8 and "Attention" not in int8
    assert not {"Conv", "ConvInteger", "MatMul"} & int8  # every linear layer quantised, no slow ConvInteger
    # the export swapped modules only while exporting
    import torch

    assert isinstance(clip.model.visual.conv1, torch.nn.Conv2d)
    assert isinstance(clip.model.visual.transformer.resblocks[0].attn, torch.nn.MultiheadAttention)


def test_export_rewrites_keep_the_math(exported):
    import torch

    from app.core.ml.export_rewrites import fast_image_tower

    clip, _ = exported
    pixels = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = clip.model.encode_image(pixels)
        with fast_image_tower(clip.model.visual) as swapped:
            during = clip.model.encode_image(pixels)
    assert swapped == {"attention": 2, "patch_matmul": 1}
    assert torch.allclose(before, during, atol=1e-5)


def test_export_rewrites_leave_unfitting_modules_alone():
    import torch

    from app.core.ml.export_rewrites import fast_image_tower

    visual = torch.nn.Module()
    visual.conv1 = torch.nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1, bias=False)  # not a patchify conv
    visual.image_size = (32, 32)
    visual.attn = torch.nn.MultiheadAttention(8, 2, batch_first=False)  # sequence-first: not the fused layout
    with fast_image_tower(visual) as swapped:
        assert swapped == {"attention": 0, "patch_matmul": 0}
        assert isinstance(visual.conv1, torch.nn.Conv2d)


def test_preprocessing_matches_open_clip(exported):
    """The torch-free preprocessing gives open_clip's pixels (odd sizes, upscaling, greyscale included)."""
    import torch
    from PIL import Image

    from app.core.ml.preprocess import PreprocessConfig, batch_inputs

    clip, folder = exported
    images = sample_images(8, seed=5) + [Image.new("L", (500, 10), 99), Image.new("RGBA", (33, 31))]
    expected = torch.stack([clip.preprocess(img) for img in images]).numpy()
    manifest = json.loads((folder / "onnx.json").read_text())
    got = batch_inputs(images, PreprocessConfig.from_dict(manifest["preprocess"]))
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-5


def test_quantising_silences_only_onnxruntime(exported, tmp_path, monkeypatch, caplog):
    """Regression: the export set the root logger's `disabled` flag, so every other thread went silent."""
    import logging
    import os

    import onnxruntime
    import onnxruntime.quantization as ortq

    from app.core.ml.quantize import quantize_int8

    _, folder = exported
    real = ortq.quantize_dynamic
    ort_file = os.path.join(os.path.dirname(onnxruntime.__file__), "quantization", "quantize.py")

    def quantize_while_others_log(*args, **kwargs):
        logging.getLogger("app.elsewhere").warning("another thread keeps logging")
        logging.getLogger().warning("a root record from the app")
        logging.getLogger().handle(logging.makeLogRecord(
            {"name": "root", "levelno": logging.WARNING, "levelname": "WARNING", "pathname": ort_file,
             "msg": "Please consider to run pre-processing before quantization."}))
        return real(*args, **kwargs)

    monkeypatch.setattr(ortq, "quantize_dynamic", quantize_while_others_log)
    with caplog.at_level(logging.INFO):
        quantize_int8(folder / "image.onnx", tmp_path / "image.int8.onnx")
    messages = [r.getMessage() for r in caplog.records]
    assert "another thread keeps logging" in messages and "a root record from the app" in messages
    assert not any("pre-processing" in m for m in messages)
    assert not logging.getLogger().disabled and not logging.getLogger().filters
    assert (tmp_path / "image.int8.onnx").is_file()


def test_an_install_export_drops_the_torch_model_before_quantising(exported, tmp_path, monkeypatch):
    """`release=True` (what an install does): the fp32 torch model is gone by the time the towers are quantised,
    so the two never share memory; the exported files give the same vectors as the kept-model export."""
    import weakref

    from app.core.ml import quantize
    from app.core.ml.clip_onnx import OnnxClip
    from app.core.ml.clip_torch import TorchClip

    _clip, kept = exported
    clip = TorchClip.from_folder(kept, device="cpu")
    model = weakref.ref(clip.model)
    alive_when_quantising = []
    real = quantize.quantize_int8

    def spy(*args, **kwargs):
        alive_when_quantising.append(model() is not None)
        return real(*args, **kwargs)

    monkeypatch.setattr(quantize, "quantize_int8", spy)
    clip.export_onnx(tmp_path / "released", int8=True, release=True)
    assert alive_when_quantising == [False, False] and clip.model is None
    images = sample_images(4, seed=5)
    for variant in ("fp32", "int8"):
        ours = OnnxClip(tmp_path / "released", variant=variant, threads=1).encode_images(images)
        theirs = OnnxClip(kept, variant=variant, threads=1).encode_images(images)
        assert np.allclose(ours, theirs, atol=1e-5)


def test_an_install_exports_the_image_tower_without_the_text_tower(exported, tmp_path, monkeypatch):
    """The image tower's export is the import's memory peak (issue 16): with `release=True` the text tower is
    exported first and its weights are freed before the image tower is traced; both files still give the same
    vectors as the kept-model export."""
    import weakref

    from app.core.ml import clip_torch
    from app.core.ml.clip_onnx import OnnxClip
    from app.core.ml.clip_torch import TorchClip

    _clip, kept = exported
    clip = TorchClip.from_folder(kept, device="cpu")
    text_weights = weakref.ref(clip.model.token_embedding.weight)
    order, text_alive = [], []
    real = clip_torch._export

    def spy(torch, module, example, path, *args, **kwargs):
        order.append(path.name)
        text_alive.append(text_weights() is not None)
        return real(torch, module, example, path, *args, **kwargs)

    monkeypatch.setattr(clip_torch, "_export", spy)
    clip.export_onnx(tmp_path / "released", int8=False, release=True)
    assert order == ["text.onnx", "image.onnx"] and text_alive == [True, False]
    images = sample_images(4, seed=6)
    ours, theirs = OnnxClip(tmp_path / "released", variant="fp32", threads=1), OnnxClip(kept, variant="fp32", threads=1)
    assert np.allclose(ours.encode_images(images), theirs.encode_images(images), atol=1e-5)
    assert np.allclose(ours.encode_texts(TEXTS), theirs.encode_texts(TEXTS), atol=1e-5)


def test_giving_memory_back_is_safe_to_call():
    from app.core.ml.memory import give_back_memory

    give_back_memory()
    give_back_memory()


def test_towers_are_exported_without_the_exporters_weight_copies(exported, tmp_path, monkeypatch):
    """issue 16: torch's exporter held ~2.5 copies of a tower's weights (its C++ model, serialised bytes, their
    Python copy), the `models import` peak; each tower is exported without weights and they are streamed in."""
    import torch

    from app.core.ml.clip_onnx import OnnxClip
    from app.core.ml.clip_torch import TorchClip

    _clip, kept = exported
    clip = TorchClip.from_folder(kept, device="cpu")
    with_weights = []
    real = torch.onnx.export

    def spy(*args, **kwargs):
        with_weights.append(kwargs.get("export_params", True))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", spy)
    clip.export_onnx(tmp_path / "streamed", int8=False, release=True)
    assert with_weights == [False, False]
    images = sample_images(3, seed=7)
    ours, theirs = OnnxClip(tmp_path / "streamed", variant="fp32", threads=1), OnnxClip(kept, variant="fp32", threads=1)
    assert np.allclose(ours.encode_images(images), theirs.encode_images(images), atol=1e-5)
    assert np.allclose(ours.encode_texts(TEXTS), theirs.encode_texts(TEXTS), atol=1e-5)


def test_a_checkpoint_is_loaded_without_a_second_copy_of_the_weights(tmp_path, monkeypatch):
    """issue 16: open_clip copied the checkpoint into a randomly initialised model (two copies, the import's
    load peak); now the checkpoint's own tensors become the model's weights, with the same values, dtypes and the
    buffers open_clip makes at init (the causal mask); a half-precision checkpoint still gives a float32 model."""
    import torch
    from open_clip import factory

    from app.core.ml.clip_torch import TorchClip

    checkpoint = tiny_checkpoint(tmp_path / "arch", seed=3)
    loaded = []
    real = factory.load_state_dict

    def spy(*args, **kwargs):
        loaded.append(real(*args, **kwargs))
        return loaded[-1]

    monkeypatch.setattr(factory, "load_state_dict", spy)
    clip = TorchClip.from_checkpoint(TINY_ARCH, checkpoint, device="cpu")
    state = clip.model.state_dict()
    saved = torch.load(checkpoint)
    assert state.keys() == saved.keys() and all(torch.equal(state[k], saved[k]) for k in saved)
    ours = {t.data_ptr() for t in state.values()}
    assert all(t.data_ptr() in ours for t in loaded[0].values())  # the loaded tensors themselves, not copies
    assert not clip.model.attn_mask.is_meta and torch.isinf(clip.model.attn_mask).any()

    torch.save({k: v.half() if v.is_floating_point() else v for k, v in saved.items()}, tmp_path / "half.pt")
    half = TorchClip.from_checkpoint(TINY_ARCH, tmp_path / "half.pt", device="cpu")
    assert {p.dtype for p in half.model.parameters()} == {torch.float32}
    assert half.encode_images(sample_images(2)).shape == (2, 32)


def test_a_checkpoint_missing_weights_is_refused(tmp_path):
    import torch

    from app.core.ml.clip_torch import TorchClip
    from app.core.ml.errors import ModelError

    saved = torch.load(tiny_checkpoint(tmp_path / "arch", seed=3))
    saved.pop(next(iter(saved)))
    torch.save(saved, tmp_path / "partial.pt")
    with pytest.raises(ModelError, match="cannot load"):
        TorchClip.from_checkpoint(TINY_ARCH, tmp_path / "partial.pt", device="cpu")


def test_an_import_from_a_torch_free_process_exports_in_a_child(exported, tmp_path):
    """issue 16: the CLI has not loaded torch, so `models import` loads and exports in a child process and
    quantises in its own, which never loads torch (the quantiser does not run on top of torch's ~750 MB); the
    installed model gives the same vectors as the in-process export."""
    from app.core.ml.clip_onnx import OnnxClip

    _clip, kept = exported
    code = """
import sys
from pathlib import Path
from app.core.library import Library
library = Library.open(Path(sys.argv[1]), log_to_file=False)
info = library.models.import_path(Path(sys.argv[2]), model_id="clip:tiny/child")
assert "torch" not in sys.modules, "the importing process loaded torch"
print(library.models.folder(info.id))
library.close()
"""
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "library"), str(kept)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    installed = out.stdout.strip().splitlines()[-1]
    images = sample_images(3, seed=8)
    for variant in ("fp32", "int8"):
        ours = OnnxClip(installed, variant=variant, threads=1)
        theirs = OnnxClip(kept, variant=variant, threads=1)
        assert np.allclose(ours.encode_images(images), theirs.encode_images(images), atol=1e-5)
        assert np.allclose(ours.encode_texts(TEXTS), theirs.encode_texts(TEXTS), atol=1e-5)


def test_an_install_from_a_torch_free_process_exports_in_a_child(exported, tmp_path):
    """issue 16: `models install` from the CLI (torch not loaded) downloads and exports in a child process and
    quantises in its own, like `models import`: the installing process never loads torch, and the installed
    model gives the same vectors as the in-process export of the same weights."""
    from app.core.ml.clip_onnx import OnnxClip

    _clip, kept = exported
    checkpoint = tiny_checkpoint(tmp_path / "arch", seed=1)  # the weights `exported` was made from
    code = """
import sys
from pathlib import Path
from app.core.library import Library
from app.core.ml import clip_torch, registry
import ml_tiny_model

registry.check_online = lambda *args: None
registry.CATALOG.append(registry.CatalogEntry("clip:tiny/test", registry.IMAGE_TEXT, ml_tiny_model.TINY_ARCH,
                                              sys.argv[2], 32, 1, "test", "tiny"))
clip_torch.download_and_export = ml_tiny_model.download_and_export_tiny  # the child registers the tiny arch
library = Library.open(Path(sys.argv[1]), log_to_file=False)
info = library.models.install("clip:tiny/test")
assert "torch" not in sys.modules, "the installing process loaded torch"
print(library.models.folder(info.id))
library.close()
"""
    tests = str(Path(__file__).resolve().parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "library"), str(checkpoint)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    installed = out.stdout.strip().splitlines()[-1]
    assert not (Path(installed).parent / ".download-cache").exists()
    images = sample_images(3, seed=8)
    for variant in ("fp32", "int8"):
        ours = OnnxClip(installed, variant=variant, threads=1)
        theirs = OnnxClip(kept, variant=variant, threads=1)
        assert np.allclose(ours.encode_images(images), theirs.encode_images(images), atol=1e-5)
        assert np.allclose(ours.encode_texts(TEXTS), theirs.encode_texts(TEXTS), atol=1e-5)
