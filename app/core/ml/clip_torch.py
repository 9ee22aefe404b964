"""The open_clip (torch) backend: load a model folder or a pretrained tag, embed, and export ONNX towers.

Only this module imports torch and open_clip, and only when a function here is called, so the base install (ONNX
runtime only) never needs them. Model folders use open_clip's own `local-dir:` layout (open_clip_config.json +
open_clip_pytorch_model.bin), so open_clip itself rebuilds any architecture, including custom configs.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from app.core.ml.errors import ModelError
from app.core.ml.lean_load import lean_loading
from app.core.ml.memory import give_back_memory

log = logging.getLogger(__name__)

CONFIG_FILE = "open_clip_config.json"
WEIGHTS_FILE = "open_clip_pytorch_model.bin"
BPE_FILE = "bpe_simple_vocab_16e6.txt.gz"


def torch_available() -> bool:
    try:
        import open_clip  # noqa: F401
        import torch  # noqa: F401
    except Exception:
        return False
    return True


def _require_torch():
    try:
        import open_clip
        import torch
    except Exception as exc:
        raise ModelError(
            f"this needs the `ml` extra (torch and open_clip): pip install 'shoebox[ml]' ({exc})"
        ) from exc
    return torch, open_clip


def pick_device() -> str:
    """CUDA, then Apple MPS, then CPU."""
    torch, _ = _require_torch()
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


class TorchClip:
    """An open_clip model in eval mode with its preprocessing and tokenizer; outputs L2-normalised float32."""

    runtime = "torch"

    def __init__(self, model, preprocess, tokenizer, model_cfg: dict, device: str):
        self.model = model
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.model_cfg = model_cfg
        self.device = device
        self.dim = int(model_cfg["embed_dim"])

    # -- loading ---------------------------------------------------------------------------------------------
    @classmethod
    def from_folder(cls, folder: Path | str, device: str | None = None) -> "TorchClip":
        """Load a model folder written by `save_folder` (never touches the network)."""
        torch, open_clip = _require_torch()
        folder = Path(folder)
        if not (folder / CONFIG_FILE).is_file() or not (folder / WEIGHTS_FILE).is_file():
            raise ModelError(f"{folder} holds no open_clip checkpoint ({CONFIG_FILE} + {WEIGHTS_FILE})")
        device = device or pick_device()
        model_cfg = json.loads((folder / CONFIG_FILE).read_text())["model_cfg"]
        try:
            with lean_loading():  # one copy of the weights while loading
                model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}", device=device)
            tokenizer = open_clip.get_tokenizer(f"local-dir:{folder}")
        except Exception as exc:
            raise ModelError(f"cannot load the open_clip model in {folder}: {exc}") from exc
        model.eval()
        give_back_memory()  # the checkpoint's tensors, copied into the model and freed
        return cls(model, preprocess, tokenizer, model_cfg, device)

    @classmethod
    def from_checkpoint(cls, arch: str, checkpoint: Path | str, device: str | None = None) -> "TorchClip":
        """A local checkpoint file of a known (built-in or registered) open_clip architecture."""
        torch, open_clip = _require_torch()
        checkpoint = Path(checkpoint)
        if not checkpoint.is_file():
            raise ModelError(f"checkpoint file not found: {checkpoint}")
        model_cfg = open_clip.get_model_config(arch)
        if model_cfg is None:
            raise ModelError(f"unknown open_clip architecture {arch!r} (see open_clip.list_models())")
        device = device or pick_device()
        try:
            with lean_loading():  # one copy of the weights while loading
                model, _, preprocess = open_clip.create_model_and_transforms(
                    arch, pretrained=str(checkpoint), device=device
                )
        except Exception as exc:
            raise ModelError(f"cannot load {checkpoint} as {arch}: {exc}") from exc
        model.eval()
        give_back_memory()  # the checkpoint's tensors, copied into the model and freed
        return cls(model, preprocess, open_clip.get_tokenizer(arch), dict(model_cfg), device)

    @classmethod
    def download(cls, arch: str, tag: str, cache_dir: Path, device: str | None = None) -> "TorchClip":
        """Explicit download of a pretrained tag (the only place that goes online; `models install` calls it)."""
        torch, open_clip = _require_torch()
        model_cfg = open_clip.get_model_config(arch)
        if model_cfg is None:
            raise ModelError(f"unknown open_clip architecture {arch!r}")
        device = device or pick_device()
        try:
            with lean_loading():  # one copy of the weights while loading
                model, _, preprocess = open_clip.create_model_and_transforms(
                    arch, pretrained=tag, device=device, cache_dir=str(cache_dir), require_pretrained=True
                )
        except Exception as exc:
            raise ModelError(
                f"could not download {arch}/{tag} (are you online?): {exc}. "
                "Offline, copy a checkpoint here and run `shoebox models import FILE --arch ARCH`."
            ) from exc
        model.eval()
        return cls(model, preprocess, open_clip.get_tokenizer(arch), dict(model_cfg), device)

    # -- embedding -------------------------------------------------------------------------------------------
    def preprocess_config(self) -> dict:
        from open_clip import get_model_preprocess_cfg

        cfg = dict(get_model_preprocess_cfg(self.model))
        size = cfg.get("size", 224)
        cfg["size"] = [size, size] if isinstance(size, int) else list(size)
        return cfg

    def encode_images(self, images: list[Image.Image]) -> np.ndarray:
        torch, _ = _require_torch()
        batch = torch.stack([self.preprocess(img) for img in images]).to(self.device)
        with torch.inference_mode():
            return self.model.encode_image(batch, normalize=True).float().cpu().numpy()

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        torch, _ = _require_torch()
        tokens = self.tokenizer(texts).to(self.device)
        with torch.inference_mode():
            return self.model.encode_text(tokens, normalize=True).float().cpu().numpy()

    # -- saving and export -----------------------------------------------------------------------------------
    def save_folder(self, folder: Path) -> None:
        """Write the open_clip `local-dir:` layout so `from_folder` (and open_clip) can rebuild the model."""
        torch, _ = _require_torch()
        folder.mkdir(parents=True, exist_ok=True)
        config = {"model_cfg": self.model_cfg, "preprocess_cfg": self.preprocess_config()}
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2))
        state = {k: v.detach().cpu() for k, v in self.model.state_dict().items()}
        torch.save(state, folder / WEIGHTS_FILE)

    def export_onnx(self, folder: Path, *, int8: bool = True, progress: Callable[[str], None] | None = None,
                    release: bool = False) -> dict:
        """Export the image and text towers (outputs normalised) plus tokenizer and preprocessing settings.

        Writes onnx.json (what clip_onnx.OnnxClip reads) and returns it. int8 variants are dynamically quantised.
        `release`: the torch model is not needed afterwards (an install): the text tower, exported first, is
        dropped before the image tower is exported, and the rest before quantising, so the fp32 weights and the
        exporter's or quantiser's copies of a tower are never in memory together.
        """
        torch, open_clip = _require_torch()
        from open_clip.tokenizer import SimpleTokenizer, default_bpe

        from app.core.ml.export_rewrites import fast_image_tower

        if not isinstance(self.tokenizer, SimpleTokenizer):
            raise ModelError(
                f"ONNX export supports CLIP's BPE tokenizer only; this model uses {type(self.tokenizer).__name__}"
            )
        say = progress or (lambda message: None)
        folder.mkdir(parents=True, exist_ok=True)
        model = self.model.float().to("cpu").eval()
        pre = self.preprocess_config()
        context_length = int(self.tokenizer.context_length)

        class ImageTower(torch.nn.Module):
            def __init__(self, clip):
                super().__init__()
                self.clip = clip

            def forward(self, pixels):
                return self.clip.encode_image(pixels, normalize=True)

        class TextTower(torch.nn.Module):
            def __init__(self, clip):
                super().__init__()
                self.clip = clip

            def forward(self, tokens):
                return self.clip.encode_text(tokens, normalize=True)

        pixels = torch.zeros(2, 3, *pre["size"], dtype=torch.float32)
        tokens = torch.zeros(2, context_length, dtype=torch.long)
        fastpath = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)  # the fused attention kernel has no ONNX symbolic
        try:
            with torch.no_grad():
                say("exporting text tower")
                _export(torch, TextTower(model), tokens, folder / "text.onnx", "tokens")
                if release:  # the text weights are written: the image tower's export runs without them
                    _drop_text_tower(model)
                give_back_memory()  # the traced graph and the tower's ONNX copy, written and freed
                say("exporting image tower")
                with fast_image_tower(model.visual):  # onnxruntime's fused Attention, patch embedding as MatMul
                    _export(torch, ImageTower(model), pixels, folder / "image.onnx", "pixels", contrib_ops=True)
        finally:
            torch.backends.mha.set_fastpath_enabled(fastpath)
        if release:
            self.model = model = None
        else:
            self.model.to(self.device)
        give_back_memory()
        shutil.copyfile(default_bpe(), folder / BPE_FILE)
        manifest = {
            "dim": self.dim,
            "files": {"image": "image.onnx", "text": "text.onnx"},
            "preprocess": pre,
            "tokenizer": {
                "type": "clip-bpe",
                "bpe": BPE_FILE,
                "context_length": context_length,
                "clean": _clean_name(self.tokenizer),
            },
        }
        (folder / "onnx.json").write_text(json.dumps(manifest, indent=2))
        return quantize_towers(folder, say) if int8 else manifest


def quantize_towers(folder: Path, progress: Callable[[str], None] | None = None) -> dict:
    """Add int8 variants of an exported folder's towers to it (and to its onnx.json, returned). Needs no torch."""
    from app.core.ml.quantize import IMAGE_OPS, quantize_int8

    (progress or (lambda message: None))("quantising to int8")
    manifest = json.loads((folder / "onnx.json").read_text())
    for tower, op_types in (("image", IMAGE_OPS), ("text", None)):  # one tower in memory at a time
        quantize_int8(folder / f"{tower}.onnx", folder / f"{tower}.int8.onnx", op_types)
        give_back_memory()
        manifest["files"][f"{tower}_int8"] = f"{tower}.int8.onnx"
    (folder / "onnx.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def export_folder(source: str, arch: str | None, folder: str) -> int:
    """Load a model folder (arch None) or a checkpoint file, save it to `folder` and export its fp32 towers there;
    the model's dimension. What a child process runs for `models import`, so the importing process never loads
    torch (issue 16)."""
    clip = TorchClip.from_folder(source, device="cpu") if arch is None else TorchClip.from_checkpoint(
        arch, source, device="cpu"
    )
    clip.save_folder(Path(folder))
    clip.export_onnx(Path(folder), int8=False, release=True)
    return clip.dim


def download_and_export(arch: str, tag: str, cache_dir: str, folder: str) -> int:
    """Download a pretrained tag, save it to `folder` and export its fp32 towers there; the model's dimension.
    What a child process runs for `models install` (like export_folder for `models import`)."""
    clip = TorchClip.download(arch, tag, Path(cache_dir), device="cpu")
    clip.save_folder(Path(folder))
    clip.export_onnx(Path(folder), int8=False, release=True)
    return clip.dim


# The text tower's parts of open_clip's CLIP (and `text` of CustomTextCLIP); encode_image uses none of them.
_TEXT_PARTS = ("transformer", "token_embedding", "ln_final", "positional_embedding", "text_projection", "attn_mask",
               "text")


def _drop_text_tower(model) -> None:
    """Free the text tower's weights (~250 MB of ViT-B-32's 600) so the image tower's export, the import's peak,
    does not hold them too (issue 16)."""
    for name in _TEXT_PARTS:
        if hasattr(model, name):
            delattr(model, name)


def _clean_name(tokenizer) -> str:
    from open_clip import tokenizer as tk

    fn = tokenizer.clean_fn
    return {tk._clean_lower: "lower", tk._clean_whitespace: "whitespace", tk._clean_canonicalize: "canonicalize"}.get(
        fn, "lower"
    )


def _export(torch, module, example, path: Path, input_name: str, contrib_ops: bool = False) -> None:
    """TorchScript-based exporter: fast, and gives a plain graph onnxruntime optimises well."""
    import warnings

    tmp = path.with_suffix(".onnx.tmp")
    with warnings.catch_warnings():  # tracer notes about shape checks that are constant for CLIP
        warnings.simplefilter("ignore")
        _export_quietly(torch, module, example, tmp, input_name, contrib_ops)
    tmp.replace(path)


def _export_quietly(torch, module, example, tmp: Path, input_name: str, contrib_ops: bool) -> None:
    from app.core.ml import onnx_streamed

    onnx_streamed.export(  # the weights go straight to the file: no in-memory copies of the tower (issue 16)
        torch,
        module,
        (example,),
        tmp,
        input_names=[input_name],
        output_names=["embedding"],
        dynamic_axes={input_name: {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=17,
        custom_opsets={"com.microsoft": 1} if contrib_ops else None,  # onnxruntime's fused Attention
        dynamo=False,
    )
