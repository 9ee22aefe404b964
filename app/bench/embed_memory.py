"""`shoebox bench embed --memory N`: peak memory and time of importing a CLIP model and of embedding N photos.

Each step runs in a process of its own, as a user runs it, and its peak resident memory is the kernel's count for
that process (`os.wait4`). Linux starts a child's count at its parent's resident size when it execs (the first
version of this bench made the checkpoint itself, with torch loaded, and every child "peaked" at 1.36 GB), so the
bench never imports torch: the checkpoint is made in a child too, and the floor is this process's ~150 MB.
A step that starts processes of its own (`models import` loads and exports in a child, then quantises) reports
the largest of their peaks, not their sum: docs/SCALE.md gives the summed figure too.

1. `shoebox models import CHECKPOINT --arch ViT-B-32`: a ViT-B-32 checkpoint with random weights (the real
   architecture and size, ~600 MB) is loaded, saved, exported to ONNX (both towers) and quantised to int8.
2. Embedding N photos (640x480 JPEGs, imported beforehand) with that model on the default runtime (ONNX int8 on
   a CPU): the embed task chain, run until the queue is empty.

Issue 16 measured 2.6 GB for the model import and 1.4 GB for an import of 1,000 photos with embedding; the goals
are that neither grows with the model's two towers at once or with the number of photos.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Peak resident memory goals (MB): the import holds one copy of the fp32 weights plus one tower being exported or
# quantised; embedding holds the runtime, the int8 model and one batch of decoded pictures, whatever N is.
IMPORT_GOAL_MB = 1600
EMBED_GOAL_MB = 700


def ml_installed() -> bool:
    """torch and open_clip can be imported (found without importing them)."""
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("torch", "open_clip"))


def _child(args: list[str]) -> tuple[float, float]:
    """Run a Python child to its end: (wall seconds, peak RSS in MB). Raises when it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        command = " ".join(args[:4])
        raise SystemExit(f"bench embed --memory: {command} ... failed ({proc.returncode}):\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024  # kilobytes on Linux


_CHECKPOINT = """
import sys
import open_clip
import torch
torch.manual_seed(0)
model = open_clip.create_model(sys.argv[1], pretrained=None, device="cpu")
torch.save(model.state_dict(), sys.argv[2])
"""


def _photos(folder: Path, count: int) -> None:
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    for i in range(count):
        coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
        coarse.resize((640, 480), Image.Resampling.BICUBIC).save(folder / f"p{i:05d}.jpg", quality=85)


_EMBED = """
import sys
from pathlib import Path
from app.core.library import Library
library = Library.open(Path(sys.argv[1]), log_to_file=False)
library.models.set_active(sys.argv[2])
library.search.schedule_embedding()
library.tasks.run_until_idle()
status = library.search.status()
assert status.embedded == int(sys.argv[3]), status
library.close()
"""


def measure(count: int, arch: str = "ViT-B-32") -> dict:
    from app.bench.ingest import settle_background

    with tempfile.TemporaryDirectory(prefix="shoebox-bench-embed-memory-") as tmp:
        work = Path(tmp)
        library, model_id = work / "library", f"clip:{arch}/bench"
        checkpoint = work / "bench.pt"
        _child(["-c", _CHECKPOINT, arch, str(checkpoint)])
        _photos(work / "photos", count)
        cli = ["-m", "app.cli", "--library", str(library)]
        _child([*cli, "import", "--no-progress", str(work / "photos")])
        settle_background(library)  # the import's face scans and the rest of its queue: not part of this
        import_s, import_mb = _child([*cli, "models", "import", str(checkpoint), "--arch", arch, "--id", model_id])
        checkpoint.unlink()
        embed_s, embed_mb = _child(["-c", _EMBED, str(library), model_id, str(count)])
    return {
        "arch": arch,
        "photos": count,
        "model_import_s": round(import_s, 1),
        "model_import_peak_mb": round(import_mb),
        "embed_s": round(embed_s, 1),
        "embed_photos_per_s": round(count / embed_s, 1),
        "embed_peak_mb": round(embed_mb),
        "goal_mb": {"model_import": IMPORT_GOAL_MB, "embed": EMBED_GOAL_MB},
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def report(r: dict) -> None:
    print(f"{r['arch']} (random weights), each step in a process of its own, load average {r['load_avg_1m']}")
    print(f"{'step':<34} {'seconds':>8} {'peak RSS MB':>12} {'goal MB':>8}")
    print(f"{'models import (export + int8)':<34} {r['model_import_s']:>8.1f} {r['model_import_peak_mb']:>12} "
          f"{'<= ' + str(IMPORT_GOAL_MB):>8}")
    print(f"{'embed ' + str(r['photos']) + ' photos (' + str(r['embed_photos_per_s']) + '/s)':<34} "
          f"{r['embed_s']:>8.1f} {r['embed_peak_mb']:>12} {'<= ' + str(EMBED_GOAL_MB):>8}")
