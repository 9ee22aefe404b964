"""A tiny randomly initialised open_clip model for tests (no real CLIP weights exist offline; see MODELS.md).

The architecture is a real open_clip CLIP (ViT image tower + text transformer), just small, so the same loading,
export and runtime code paths run as with ViT-B-32.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

TINY_ARCH = "shoebox-tiny-clip"
TINY_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "patch_size": 8, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def register_tiny_arch(folder: Path) -> str:
    import open_clip

    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / f"{TINY_ARCH}.json"
    config_file.write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(config_file)
    return TINY_ARCH


def tiny_checkpoint(folder: Path, seed: int = 0) -> Path:
    """A saved state dict of a freshly initialised tiny model (different seeds give different models)."""
    import open_clip
    import torch

    register_tiny_arch(folder)
    torch.manual_seed(seed)
    model = open_clip.create_model(TINY_ARCH)
    path = folder / f"tiny-{seed}.pt"
    torch.save(model.state_dict(), path)
    return path


def sample_images(n: int, seed: int = 0) -> list[Image.Image]:
    """Varied sizes and content: gradients, blocks and noise, so embeddings differ."""
    rng = np.random.default_rng(seed)
    images = []
    for i in range(n):
        h, w = int(rng.integers(48, 320)), int(rng.integers(48, 320))
        base = rng.integers(0, 255, 3)
        yy, xx = np.mgrid[0:h, 0:w]
        array = (base + np.stack([xx * (i % 5 + 1), yy * (i % 3 + 1), (xx + yy) * (i % 7)], -1)) % 256
        array = array + rng.integers(0, 40, (h, w, 3))
        images.append(Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)))
    return images


def download_and_export_tiny(arch: str, tag: str, cache_dir: str, folder: str) -> int:
    """What a `models install` child process runs in tests: the real download-and-export, with the tiny
    architecture registered first (a spawned child starts without it) and `tag` a checkpoint file, which
    open_clip loads as its "pretrained" weights without going online."""
    from app.core.ml.clip_torch import download_and_export

    register_tiny_arch(Path(cache_dir) / "arch")
    return download_and_export(arch, tag, cache_dir, folder)
