"""`shoebox bench ingest`: full import speed against the floor set by decoding and thumbnailing alone.

The corpus is generated: 12-megapixel JPEGs (quality 90, EXIF with date, camera and GPS) whose pixels look like
a photo to the encoder (soft shapes, gradients, grain), so files are a realistic 3-5 MB. The baseline runs the
same draft-mode decode and two thumbnail sizes on the same number of threads as the engine; the ratio says how
much the rest of an import (hashing, EXIF, pHash, database, task engine) costs on top.

The small-files mode (`--small-files N`, or a row of the default run with `--small N`) measures the fixed cost
per photo instead: N distinct 64x48 JPEGs in folders of 1,000, imported through the engine on a fresh library.
It prints the time until the first photo is in the library (the scan queues files in batches, so this must not
wait for the whole scan), photos/s and the fixed cost per photo (wall and CPU) until the import itself is done
(scan, ingest, duplicate grouping; the background analyses it queues afterwards, faces and search vectors, are
not part of it), and the peak resident memory of the process. Then, each in a new process as a user would run
it: `shoebox import` of the unchanged folder again, and again after one new photo was added (with the seconds
its near-duplicate grouping took). `--corpus DIR` and `--library DIR` keep both, so a 100k library is built once.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 4000, 3000


def register(subparsers) -> None:
    parser = subparsers.add_parser("ingest", help="photos/s: full import vs decode-and-thumbnail baseline")
    parser.add_argument("--count", type=int, default=40, help="number of 12 MP JPEGs (default 40)")
    parser.add_argument("--workers", type=int, default=None, help="threads for both runs (default: CPU count)")
    parser.add_argument("--repeat", type=int, default=3, help="alternate the two runs this often, keep each best")
    parser.add_argument(
        "--small", type=int, default=2000, metavar="N",
        help="also import N small files for the per-photo cost (default 2000; the goal is stated for 100000; 0: skip)",
    )
    parser.add_argument(
        "--small-files", type=int, default=0, metavar="N",
        help="only the small-files mode: import N tiny JPEGs, then re-import them in a new process (goal at 100000:"
        " >= 200 photos/s, first photo <= 5 s, re-import <= 2 s, grouping one new photo <= 0.5 s)",
    )
    parser.add_argument("--corpus", type=Path, default=None, help="small files: generate (or reuse) them here")
    parser.add_argument(
        "--library", type=Path, default=None,
        help="small files: keep the library here; one that already holds the corpus is only re-imported",
    )
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def make_corpus(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """`count` distinct photo-like 12 MP JPEGs with EXIF; generated on threads (numpy and libjpeg free the GIL)."""
    import piexif
    from PIL import Image

    rng = np.random.default_rng(seed)
    grain = rng.normal(0, 9, (HEIGHT, WIDTH + 64, 3)).astype(np.float32)  # shared, shifted per photo
    ramp = np.linspace(-40, 40, WIDTH, dtype=np.float32)[None, :, None]

    def make(i: int) -> Path:
        local = np.random.default_rng(seed * 1000 + i)
        coarse = Image.fromarray(local.integers(0, 256, (12, 16, 3), dtype=np.uint8))
        scene = np.asarray(coarse.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC), dtype=np.float32)
        shift = int(local.integers(0, 64))
        pixels = (scene + ramp + grain[:, shift : shift + WIDTH]).clip(0, 255).astype(np.uint8)
        exif = piexif.dump(
            {
                "0th": {piexif.ImageIFD.Make: "BenchCam", piexif.ImageIFD.Model: "12MP", piexif.ImageIFD.Orientation: 1},
                "Exif": {piexif.ExifIFD.DateTimeOriginal: f"2023:05:{1 + i % 28:02d} 12:{i % 60:02d}:00"},
                "GPS": {
                    piexif.GPSIFD.GPSLatitudeRef: "N",
                    piexif.GPSIFD.GPSLatitude: ((48, 1), (51, 1), (i * 100, 100)),
                    piexif.GPSIFD.GPSLongitudeRef: "E",
                    piexif.GPSIFD.GPSLongitude: ((2, 1), (21, 1), (0, 1)),
                },
            }
        )
        path = folder / f"IMG_{i:05d}.jpg"
        Image.fromarray(pixels).save(path, "JPEG", quality=90, exif=exif)
        return path

    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(make, range(count)))


def make_small_corpus(folder: Path, count: int, seed: int = 2) -> None:
    """`count` distinct 64x48 JPEGs (about 1.5 KB each), 1,000 per folder."""
    from PIL import Image

    def make(start: int) -> None:
        rng = np.random.default_rng(seed * 1_000_003 + start)
        sub = folder / f"{start // 1000:04d}"
        sub.mkdir(parents=True, exist_ok=True)
        for i in range(start, min(start + 1000, count)):
            noise = (rng.random((12, 16, 3)) * 255).astype(np.uint8)
            Image.fromarray(noise).resize((64, 48), Image.Resampling.BILINEAR).save(sub / f"s{i:06d}.jpg", quality=80)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(make, range(0, count, 1000)))


def small_files_import(folder: Path, count: int, workers: int, library_dir: Path) -> dict:
    """Import the small-files corpus through the engine until the import is done (its scan, ingest and grouping
    tasks; not the background work it queues afterwards): time to the first photo, photos/s, fixed cost per
    photo (wall and CPU), peak RSS."""
    import psutil
    from PySide6.QtCore import QCoreApplication

    from app.core.library import Library
    from app.core.tasks.engine import TaskEngine

    app = QCoreApplication.instance() or QCoreApplication([])
    process = psutil.Process()
    peak = process.memory_info().rss
    first = None
    library = Library.open(library_dir, log_to_file=False, create=True)
    try:
        engine = library.__dict__["tasks"] = TaskEngine(library, workers=workers)
        importer = library.importer
        start, cpu_start = time.perf_counter(), time.process_time()
        group_id = importer.start_import([folder])
        engine.start()
        last_check = 0.0
        while True:
            app.processEvents()
            now = time.perf_counter()
            peak = max(peak, process.memory_info().rss)
            if first is None and library.photos.count(include_hidden=True):
                first = now - start
            if now - last_check >= 0.25:
                last_check = now
                if engine.error is not None or not _group_live(library, group_id):
                    break
            time.sleep(0.02)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        engine.stop()
        summary = importer.summary(group_id)
    finally:
        library.close()
    if summary.imported != count:
        raise SystemExit(f"bench ingest: only {summary.imported} of {count} small files were imported: {summary}")
    return {
        "small_files": count,
        "small_import_s": round(elapsed, 2),
        "small_first_photo_s": round(first, 2) if first is not None else None,
        "small_photos_per_s": round(count / elapsed, 1),
        "small_ms_per_photo": round(1000 * elapsed / count, 2),
        "small_cpu_ms_per_photo": round(1000 * cpu / count, 2),
        "small_peak_rss_mb": round(peak / 2**20),
        "small_target": {"first_photo_s": 5, "photos_per_s": 200, "count": 100_000},
    }


def settle_background(library_dir: Path) -> None:
    """Bring the library to where a user's is once an import's background work is done, without spending hours
    on it: the face scans it queued are recorded as done (finding no face in noise), the rest of the queue
    (places, events, pruning) runs. The re-import then measures the import alone."""
    from sqlalchemy import insert, select, update

    from app.core.db.models import FaceScan, Photo, Task
    from app.core.library import Library
    from app.core.people.backends import active_model
    from app.core.people.scan import TASK_TYPE as FACES
    from app.core.tasks.states import LIVE_STATES, TaskState

    library = Library.open(library_dir, log_to_file=False)
    try:
        model = active_model(library)
        with library.db.write_session() as s:
            s.execute(
                update(Task).where(Task.type == FACES, Task.state.in_(LIVE_STATES))
                .values(state=TaskState.CANCELLED, finished_at=time.time())
            )
            scanned = select(FaceScan.photo_id).where(FaceScan.model_id == model)
            lacking = s.scalars(select(Photo.id).where(Photo.id.not_in(scanned))).all()
            rows = [{"photo_id": pid, "model_id": model, "faces": 0, "scanned_at": time.time()} for pid in lacking]
            for start in range(0, len(rows), 10_000):
                s.execute(insert(FaceScan), rows[start : start + 10_000])
        library.tasks.run_until_idle()
    finally:
        library.close()


def _group_live(library, group_id: int) -> bool:
    """Whether a task of the import is still to run: one index lookup (counting the group, as group_status does,
    grows with its size and would cost the import itself)."""
    from sqlalchemy import select

    from app.core.db.models import Task
    from app.core.tasks.states import LIVE_STATES

    with library.db.read_session() as s:
        query = select(Task.id).where(Task.group_id == group_id, Task.state.in_(LIVE_STATES)).limit(1)
        return s.scalar(query) is not None


def reimport(folder: Path, library_dir: Path) -> dict:
    """`shoebox import` in a new process, as a user runs it (wall time includes the process start): once with
    the folder unchanged, once after one new photo was added. The second also reports its grouping's seconds
    (the duplicates task)."""
    import sqlite3
    import subprocess
    import sys

    from PIL import Image

    def cli_import() -> float:
        cmd = [sys.executable, "-m", "app.cli", "--library", str(library_dir), "import", "--no-progress", str(folder)]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start

    unchanged = cli_import()
    extra = folder / "extra"
    extra.mkdir(exist_ok=True)
    rng = np.random.default_rng(time.time_ns() % 2**32)  # a photo this library has not seen yet
    noise = (rng.random((12, 16, 3)) * 255).astype(np.uint8)
    Image.fromarray(noise).resize((64, 48), Image.Resampling.BILINEAR).save(extra / f"new{time.time_ns()}.jpg")
    one_new = cli_import()
    with sqlite3.connect(library_dir / "shoebox.db") as db:
        grouping = db.execute(
            "SELECT finished_at - started_at FROM tasks WHERE type = 'duplicates' ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
    return {
        "reimport_unchanged_s": round(unchanged, 2),
        "reimport_one_new_s": round(one_new, 2),
        "grouping_one_new_s": round(grouping, 3),
        "reimport_target": {"unchanged_s": 2.0, "grouping_one_new_s": 0.5},
    }


def run_small_files(args) -> int:
    """`bench ingest --small-files N`: the fixed cost per photo and the re-import, at N files."""
    from PySide6.QtCore import QCoreApplication, QThread

    QCoreApplication.instance() or QCoreApplication([])
    count = args.small_files
    workers = args.workers or max(1, QThread.idealThreadCount())
    work = Path(tempfile.mkdtemp(prefix="shoebox-bench-small-"))
    corpus = args.corpus or work / "small"
    library_dir = args.library or work / "library"
    try:
        made_s = None
        if not (corpus / "0000").is_dir():
            t0 = time.perf_counter()
            make_small_corpus(corpus, count)
            made_s = round(time.perf_counter() - t0, 1)
        _import_lazy_modules()
        result: dict = {"workers": workers, "corpus_s": made_s}
        if (library_dir / "shoebox.db").exists():
            result["small_files"] = count  # built by an earlier run: only the re-import is measured
        else:
            result.update(small_files_import(corpus, count, workers, library_dir))
        settle_background(library_dir)
        result.update(reimport(corpus, library_dir))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    if "small_import_s" in result:
        print(f"{count} small files (64x48 JPEG), {workers} worker threads, fresh library")
        print(f"{'':<30} {'measured':>10} {'goal at 100k':>13}")
        print(f"{'import (scan, ingest, groups) s':<30} {result['small_import_s']:>10.2f}")
        print(f"{'photos/s':<30} {result['small_photos_per_s']:>10.1f} {'>= 200':>13}")
        print(f"{'fixed cost ms/photo (wall)':<30} {result['small_ms_per_photo']:>10.2f} {'<= 5':>13}")
        print(f"{'fixed cost ms/photo (CPU)':<30} {result['small_cpu_ms_per_photo']:>10.2f}")
        print(f"{'first photo visible s':<30} {result['small_first_photo_s'] or float('nan'):>10.2f} {'<= 5':>13}")
        print(f"{'peak RSS MB':<30} {result['small_peak_rss_mb']:>10} {'bounded':>13}")
    else:
        print(f"library of {count} small files from an earlier run")
    print(f"{'re-import, unchanged s':<30} {result['reimport_unchanged_s']:>10.2f} {'<= 2':>13}")
    print(f"{'re-import, one new photo s':<30} {result['reimport_one_new_s']:>10.2f}")
    print(f"{'  of which grouping s':<30} {result['grouping_one_new_s']:>10.3f} {'<= 0.5':>13}")
    return 0


def baseline(files: list[Path], workers: int, out: Path) -> float:
    """Seconds to decode (draft mode) and write both thumbnail sizes of every file, on `workers` threads."""
    from PIL import Image

    from app.core.ingest.analyse import IngestSettings
    from app.core.ingest.thumbnails import GRID_QUALITY, PREVIEW_QUALITY, make_thumbnails, open_reduced, save_jpeg_atomic

    settings = IngestSettings()

    def one(path: Path) -> None:
        with Image.open(path) as image:
            thumbs = make_thumbnails(open_reduced(image, settings.preview_px), settings.sizes)
        for name, thumb in thumbs.items():
            save_jpeg_atomic(thumb, out / name / f"{path.stem}.jpg", PREVIEW_QUALITY if name == "preview" else GRID_QUALITY)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, files))
    return time.perf_counter() - start


def full_import(folder: Path, workers: int, library_dir: Path) -> tuple[float, dict]:
    """Seconds for `Importer.import_paths` through the task engine on a fresh library."""
    from app.core.library import Library
    from app.core.tasks.engine import TaskEngine

    library = Library.open(library_dir, log_to_file=False)
    try:
        library.__dict__["tasks"] = TaskEngine(library, workers=workers)  # the bench picks the thread count
        start = time.perf_counter()
        summary = library.importer.import_paths([folder], progress=False)
        elapsed = time.perf_counter() - start
    finally:
        library.close()
    return elapsed, summary.to_json()


def _import_lazy_modules() -> None:
    """One-time module imports (pillow-heif, FAISS) are process start-up, not per-photo work: pay them before
    either run is timed."""
    import faiss  # noqa: F401
    from app.core.ingest.analyse import register_heif

    register_heif()


def _warm_cache(files: list[Path]) -> None:
    for path in files:
        with open(path, "rb") as f:
            while f.read(1 << 20):
                pass


def run(args, _library=None) -> int:
    if args.small_files:
        return run_small_files(args)
    from PySide6.QtCore import QCoreApplication, QThread

    QCoreApplication.instance() or QCoreApplication([])
    workers = args.workers or max(1, QThread.idealThreadCount())
    work = Path(tempfile.mkdtemp(prefix="shoebox-bench-ingest-"))
    small: dict = {}
    try:
        if args.small > 0:  # first, so its peak memory is not the 12 MP run's
            make_small_corpus(work / "small", args.small)
            _import_lazy_modules()
            small = small_files_import(work / "small", args.small, workers, work / "library-small")
            shutil.rmtree(work / "small", ignore_errors=True)
        t0 = time.perf_counter()
        files = make_corpus(work / "photos", args.count)
        made_s = time.perf_counter() - t0
        mean_mb = sum(p.stat().st_size for p in files) / len(files) / 1e6
        _import_lazy_modules()
        base_runs, import_runs = [], []
        for i in range(max(1, args.repeat)):  # alternating, so a burst of other load hits both alike
            _warm_cache(files)
            base_runs.append(baseline(files, workers, work / f"baseline{i}"))
            _warm_cache(files)
            seconds, summary = full_import(work / "photos", workers, work / f"library{i}")
            import_runs.append(seconds)
        base_s, import_s = min(base_runs), min(import_runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if summary["imported"] != len(files):
        raise SystemExit(f"bench ingest: only {summary['imported']} of {len(files)} photos were imported: {summary}")
    base_rate, import_rate = len(files) / base_s, len(files) / import_s
    result = {
        "photos": len(files),
        "megapixels": WIDTH * HEIGHT / 1e6,
        "mean_file_mb": round(mean_mb, 2),
        "workers": workers,
        "corpus_s": round(made_s, 1),
        "repeats": len(base_runs),
        "baseline_runs_s": [round(x, 2) for x in base_runs],
        "import_runs_s": [round(x, 2) for x in import_runs],
        "baseline_s": round(base_s, 2),
        "baseline_photos_per_s": round(base_rate, 2),
        "import_s": round(import_s, 2),
        "import_photos_per_s": round(import_rate, 2),
        "ratio": round(import_rate / base_rate, 3),
        "target_ratio": 0.7,
        **small,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{result['photos']} JPEGs, {result['megapixels']:.0f} MP, {mean_mb:.1f} MB each, {workers} worker threads,"
        f" best of {len(base_runs)} alternating runs"
    )
    print(f"{'run':<34} {'seconds':>8} {'photos/s':>9}")
    print(f"{'decode + 2 thumbnails (baseline)':<34} {base_s:>8.2f} {base_rate:>9.2f}")
    print(f"{'full import (engine, DB, EXIF...)':<34} {import_s:>8.2f} {import_rate:>9.2f}")
    print(f"{'ratio import / baseline':<34} {'':>8} {result['ratio']:>9.3f}   (target >= 0.7)")
    if small:
        print()
        print(
            f"{'small files (64x48 JPEG)':<26} {'files':>8} {'seconds':>8} {'photos/s':>9} {'cpu ms/photo':>13}"
            f" {'first photo s':>14} {'peak RSS MB':>12}"
        )
        print(
            f"{'full import':<26} {small['small_files']:>8} {small['small_import_s']:>8.2f} "
            f"{small['small_photos_per_s']:>9.1f} {small['small_cpu_ms_per_photo']:>13.2f}"
            f" {small['small_first_photo_s'] or float('nan'):>14.2f} {small['small_peak_rss_mb']:>12}"
        )
        print(f"{'goal at 100,000 files':<26} {'':>8} {'':>8} {'>= 200':>9} {'':>13} {'<= 5':>14} {'bounded':>12}")
    return 0
