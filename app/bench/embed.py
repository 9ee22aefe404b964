"""`shoebox bench embed`: images/s of the CLIP image tower on torch eager vs ONNX fp32 vs ONNX int8 (the default).

Uses the real ViT-B-32 architecture with random weights (no CLIP weights can be downloaded here), which has the
same compute as the pretrained model. Fair by construction:

- every runtime embeds the same pixels, made once by the same preprocessing (Shoebox's numpy version of
  open_clip's transform); its time is measured once and added to each runtime for the end-to-end figure;
- torch runs under inference_mode with its default threads (all cores), onnxruntime on the same cores;
- the machine is shared and noisy, so runtimes alternate batch by batch for several rounds and each keeps its
  fastest batch (timeit's rule: the minimum is the run least disturbed); medians are in the JSON.

Needs the `ml` extra (to build and export the model).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from app.commands.output import print_json

RUNTIMES = ("torch", "onnx_fp32", "onnx_int8")
LABELS = {"torch": "torch eager", "onnx_fp32": "onnx fp32", "onnx_int8": "onnx int8 *"}


def register(subparsers) -> None:
    parser = subparsers.add_parser("embed", help="CLIP image embedding speed: torch eager vs ONNX fp32/int8")
    parser.add_argument("--arch", default="ViT-B-32", help="open_clip architecture (random weights)")
    parser.add_argument("--images", type=int, default=128, help="images per round")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds over all batches; each runtime keeps its fastest batch")
    parser.add_argument("--memory", type=int, default=0, metavar="N",
                        help="instead: peak memory and time of `models import` (export + int8) and of embedding "
                             "N photos, each in a process of its own")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def _images(n: int) -> list[Image.Image]:
    """Photo-like pictures at 640x480 (in memory: decoding the preview is the same for every runtime)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:640]
    out = []
    for i in range(n):
        base = np.stack([xx * (i % 5 + 1), yy * (i % 3 + 1), (xx + yy) * (i % 7 + 1)], -1) // 4
        out.append(Image.fromarray(((base + rng.integers(0, 60, (480, 640, 3))) % 256).astype(np.uint8)))
    return out


def _best_seconds(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _encoders(arch: str, folder: Path) -> dict:
    """name -> function(pixels batch) -> L2-normalised vectors, all on the same model weights."""
    import open_clip
    import torch

    from app.core.ml.clip_onnx import OnnxClip
    from app.core.ml.clip_torch import TorchClip

    torch.manual_seed(0)
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=None, device="cpu")
    model.eval()
    clip = TorchClip(model, preprocess, open_clip.get_tokenizer(arch), dict(open_clip.get_model_config(arch)), "cpu")
    started = time.perf_counter()
    clip.export_onnx(folder, int8=True)
    export_s = time.perf_counter() - started

    def torch_eager(pixels: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model.encode_image(torch.from_numpy(pixels), normalize=True).numpy()

    encoders = {"torch": torch_eager}
    for variant in ("fp32", "int8"):
        encoders[f"onnx_{variant}"] = OnnxClip(folder, variant=variant).encode_pixels
    return encoders, clip.preprocess_config(), export_s


def measure(arch: str, n_images: int, batch: int, rounds: int = 3) -> dict:
    import torch

    from app.core.ml.preprocess import PreprocessConfig, batch_inputs

    images = _images(n_images)
    with tempfile.TemporaryDirectory(prefix="shoebox-bench-embed-") as tmp:
        encoders, pre_cfg, export_s = _encoders(arch, Path(tmp))
        cfg = PreprocessConfig.from_dict(pre_cfg)
        chunks = [images[i : i + batch] for i in range(0, len(images), batch)]
        pixels = [batch_inputs(chunk, cfg) for chunk in chunks]
        preprocess_s = _best_seconds(lambda: [batch_inputs(chunk, cfg) for chunk in chunks], rounds)

        vectors, times = {}, {name: [] for name in encoders}
        for name, encode in encoders.items():
            vectors[name] = np.concatenate([encode(p) for p in pixels])  # warm-up (lazy init, arenas) + results
        for _ in range(rounds):  # interleaved batch by batch, so a burst of load hits every runtime alike
            for batch_pixels in pixels:
                for name, encode in encoders.items():
                    start = time.perf_counter()
                    encode(batch_pixels)
                    times[name].append((time.perf_counter() - start) / len(batch_pixels))

    result = {
        "arch": arch, "images": n_images, "batch": batch, "rounds": rounds,
        "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "export_s": round(export_s, 1),
        "preprocess_ms_per_image": round(1000 * preprocess_s / n_images, 2),
    }
    per_image_pre = preprocess_s / n_images
    for name in encoders:
        best, median = min(times[name]), float(np.median(times[name]))
        result[f"{name}_model_img_s"] = round(1 / best, 1)
        result[f"{name}_img_s"] = round(1 / (best + per_image_pre), 1)  # end to end
        result[f"{name}_model_img_s_median"] = round(1 / median, 1)
    for name in ("onnx_fp32", "onnx_int8"):
        variant = name.split("_")[1]
        result[f"cosine_{variant}"] = round(float((vectors[name] * vectors["torch"]).sum(axis=1).min()), 5)
        result[f"{name}_speedup"] = round(result[f"{name}_img_s"] / result["torch_img_s"], 2)
        result[f"{name}_model_speedup"] = round(result[f"{name}_model_img_s"] / result["torch_model_img_s"], 2)
    return result


def run(args, _library=None) -> int:
    from app.core.ml.clip_torch import torch_available

    if args.memory:  # before torch_available(), which imports torch: see embed_memory on why not here
        from app.bench import embed_memory

        if not embed_memory.ml_installed():
            print("shoebox bench embed: needs the `ml` extra (torch, open_clip) to build and export the model")
            return 1
        result = embed_memory.measure(args.memory, args.arch)
        print_json(result) if args.json else embed_memory.report(result)
        return 0
    if not torch_available():
        print("shoebox bench embed: needs the `ml` extra (torch, open_clip) to build and export the model")
        return 1
    r = measure(args.arch, args.images, args.batch, args.rounds)
    if args.json:
        print_json(r)
        return 0
    print(f"{r['arch']} (random weights), {r['images']} images 640x480, batch {r['batch']}, fastest batch of "
          f"{r['rounds']} interleaved rounds, torch threads {r['torch_threads']} of {r['cpu_count']} CPUs, "
          f"load average {r['load_avg_1m']}")
    print(f"preprocessing (same for all): {r['preprocess_ms_per_image']:.2f} ms/image")
    print(f"{'runtime':13} {'model img/s':>12} {'x torch':>8} {'with preproc img/s':>19} {'x torch':>8} "
          f"{'min cosine vs torch':>20}")
    for name in RUNTIMES:
        model_x = r["torch_model_img_s"] and r[f"{name}_model_img_s"] / r["torch_model_img_s"]
        e2e_x = r[f"{name}_img_s"] / r["torch_img_s"]
        cosine = "" if name == "torch" else f"{r['cosine_' + name.split('_')[1]]:.5f}"
        print(f"{LABELS[name]:13} {r[f'{name}_model_img_s']:>12.1f} {model_x:>7.2f}x {r[f'{name}_img_s']:>19.1f} "
              f"{e2e_x:>7.2f}x {cosine:>20}")
    print("* default CPU runtime")
    return 0
