"""`shoebox bench embed`: images/s of the CLIP image tower on torch eager vs ONNX fp32 vs ONNX int8.

Uses the real ViT-B-32 architecture with random weights (no CLIP weights can be downloaded here), which has the
same compute as the pretrained model. All runtimes embed the same images end to end (preprocessing included),
in batches, on the same threads; torch runs under inference_mode. Needs the `ml` extra (to build and export).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from app.commands.output import print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("embed", help="CLIP image embedding speed: torch eager vs ONNX fp32/int8")
    parser.add_argument("--arch", default="ViT-B-32", help="open_clip architecture (random weights)")
    parser.add_argument("--images", type=int, default=128, help="images per runtime (after one warm-up batch)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def _images(n: int) -> list[Image.Image]:
    """Photo-sized pictures (preview thumbnails are ~1440 px; these are 640x480 to keep decode out of it)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:640]
    out = []
    for i in range(n):
        base = np.stack([xx * (i % 5 + 1), yy * (i % 3 + 1), (xx + yy) * (i % 7 + 1)], -1) // 4
        out.append(Image.fromarray(((base + rng.integers(0, 60, (480, 640, 3))) % 256).astype(np.uint8)))
    return out


def _rate(encoder, images: list[Image.Image], batch: int) -> tuple[float, np.ndarray]:
    encoder.encode_images(images[:batch])  # warm-up: lazy init, allocator, thread pools
    vectors = []
    start = time.perf_counter()
    for i in range(0, len(images), batch):
        vectors.append(encoder.encode_images(images[i : i + batch]))
    elapsed = time.perf_counter() - start
    return len(images) / elapsed, np.concatenate(vectors)


def measure(arch: str, n_images: int, batch: int) -> dict:
    import open_clip
    import torch

    from app.core.ml.clip_onnx import OnnxClip
    from app.core.ml.clip_torch import TorchClip

    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=None, device="cpu")
    model.eval()
    clip = TorchClip(model, preprocess, open_clip.get_tokenizer(arch), dict(open_clip.get_model_config(arch)), "cpu")
    images = _images(n_images)
    torch_rate, torch_vectors = _rate(clip, images, batch)
    with tempfile.TemporaryDirectory(prefix="shoebox-bench-embed-") as folder:
        clip.export_onnx(Path(folder), int8=True)
        del clip, model
        result = {"arch": arch, "images": n_images, "batch": batch, "threads": threads, "torch_img_s": torch_rate}
        for variant in ("fp32", "int8"):
            rate, vectors = _rate(OnnxClip(folder, variant=variant, threads=threads), images, batch)
            result[f"onnx_{variant}_img_s"] = rate
            result[f"cosine_{variant}"] = float((vectors * torch_vectors).sum(axis=1).min())
    for key in ("torch_img_s", "onnx_fp32_img_s", "onnx_int8_img_s"):
        result[key] = round(result[key], 1)
    return result


def run(args, _library=None) -> int:
    from app.core.ml.clip_torch import torch_available

    if not torch_available():
        print("shoebox bench embed: needs the `ml` extra (torch, open_clip) to build and export the model")
        return 1
    r = measure(args.arch, args.images, args.batch)
    if args.json:
        print_json(r)
        return 0
    print(f"{r['arch']} (random weights), {r['images']} images 640x480, batch {r['batch']}, {r['threads']} threads")
    print(f"{'runtime':14} {'img/s':>8} {'vs torch':>9} {'min cosine vs torch':>20}")
    print(f"{'torch eager':14} {r['torch_img_s']:>8.1f} {1.0:>8.2f}x {'':>20}")
    for variant in ("fp32", "int8"):
        rate = r[f"onnx_{variant}_img_s"]
        print(f"{'onnx ' + variant:14} {rate:>8.1f} {rate / r['torch_img_s']:>8.2f}x {r[f'cosine_{variant}']:>20.5f}")
    return 0
