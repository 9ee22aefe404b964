"""`shoebox bench gui`: how fast the window opens and scrolls over a generated 100,000-photo library.

The library is generated with bulk inserts (rows for every photo, real thumbnail JPEGs for the newest few
thousand), then the window runs in a child process so that "first paint" includes the Python and Qt start-up a
user waits through. The child prints one JSON line of measurements; this process prints the table.

Also used by the UI tests and the screenshots: `paint_scene` draws photo-like pictures (sky, sun, hills, water
in varied colours) and `write_photos` saves them as JPEGs with EXIF dates and cameras, ready to import.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONTROL_S = 15.0  # browsing with no import first, for comparison on a busy machine
GOALS = {"first_paint_s": 1.5, "rss_mb": 400.0, "slow_frames": 0, "import_p99_ms": 20.0, "import_frames_over_50ms": 0}
IMPORT_SIZE = (4000, 3000)  # a 12-megapixel camera's photos: what the importer decodes and thumbnails
CAMERAS = [("Canon", "EOS R6", "RF24-105mm F4 L IS USM"), ("NIKON CORPORATION", "NIKON Z 6_2", "NIKKOR Z 50mm f/1.8 S"),
           ("FUJIFILM", "X-T4", "XF35mmF1.4 R"), ("Apple", "iPhone 13", "iPhone 13 back camera 5.1mm f/1.6"),
           ("SONY", "ILCE-7M3", "FE 85mm F1.8")]


# -- pictures that look like photos -----------------------------------------------------------------------
def paint_scene(seed: int, width: int = 640, height: int = 480):
    """A landscape-like picture: a sky gradient, a sun or moon, layered hills, sometimes water; colours and
    shapes vary with the seed so a grid of them reads like a real collection."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    hue_sets = [
        ((250, 140, 90), (60, 40, 110)),  # sunset
        ((120, 180, 240), (230, 240, 255)),  # day sky
        ((20, 30, 70), (90, 60, 120)),  # dusk
        ((255, 200, 150), (140, 190, 230)),  # morning
        ((180, 200, 210), (90, 110, 130)),  # overcast
    ]
    top, bottom = rng.choice(hue_sets)
    jitter = [rng.randint(-25, 25) for _ in range(3)]
    top = tuple(max(0, min(255, c + j)) for c, j in zip(top, jitter))
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    sun_x, sun_y, r = rng.randint(width // 8, width * 7 // 8), rng.randint(height // 10, height // 2), rng.randint(
        height // 14, height // 7)
    draw.ellipse([sun_x - r, sun_y - r, sun_x + r, sun_y + r], fill=rng.choice(
        [(255, 235, 160), (255, 250, 230), (255, 190, 120)]))
    base = rng.choice([(40, 110, 60), (90, 80, 60), (60, 90, 120), (120, 130, 70), (50, 60, 80)])
    layers = rng.randint(2, 4)
    for layer in range(layers):
        shade = tuple(max(0, min(255, int(c * (0.6 + 0.4 * (layer + 1) / layers)) + rng.randint(-15, 15)))
                      for c in base)
        horizon = int(height * (0.45 + 0.12 * layer + rng.uniform(-0.05, 0.05)))
        points = [(0, height)]
        for x in range(0, width + 40, 40):
            points.append((x, horizon + int(rng.uniform(-1, 1) * height * 0.08)))
        points.append((width, height))
        draw.polygon(points, fill=shade)
    if rng.random() < 0.4:  # a lake reflecting the sky
        water_top = int(height * 0.78)
        draw.rectangle([0, water_top, width, height], fill=tuple(int(c * 0.8) for c in bottom))
        for _ in range(12):
            y = rng.randint(water_top, height)
            draw.line([(rng.randint(0, width), y), (rng.randint(0, width), y)], fill=tuple(min(255, c + 30) for c in bottom))
    if rng.random() < 0.5:  # trees
        for _ in range(rng.randint(3, 9)):
            x, y = rng.randint(0, width), int(height * rng.uniform(0.6, 0.85))
            h = rng.randint(height // 12, height // 5)
            draw.polygon([(x, y - h), (x - h // 3, y), (x + h // 3, y)], fill=(20, rng.randint(50, 90), 30))
    return image.filter(ImageFilter.GaussianBlur(0.8))


def write_photos(folder: Path, count: int, *, seed: int = 0, size=(800, 600), start_year: int = 2019) -> list[Path]:
    """JPEG files with EXIF capture dates and cameras, spread over a few years (for imports in tests/shots)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for i in range(count):
        make, model, _lens = rng.choice(CAMERAS)
        taken = (f"{start_year + rng.randint(0, 4)}:{rng.randint(1, 12):02d}:{rng.randint(1, 28):02d} "
                 f"{rng.randint(6, 20):02d}:{rng.randint(0, 59):02d}:00")
        w, h = size if rng.random() < 0.75 else (size[1], size[0])
        image = paint_scene(seed * 100_003 + i, w, h)
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = make, model
        exif.get_ifd(0x8769)[0x9003] = taken
        path = folder / f"IMG_{seed:02d}{i:04d}.jpg"
        image.save(path, quality=85, exif=exif)
        paths.append(path)
    return paths


def write_big_photos(folder: Path, count: int, size=IMPORT_SIZE) -> Path:
    """`count` distinct camera-size JPEGs (a small scene scaled up, each with its own patch of colour so no two
    are near duplicates); written once and reused, since encoding them takes minutes."""
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    done = folder / ".complete"
    if done.exists() and done.read_text() == f"{count} {size}":
        return folder
    rng = random.Random(7)
    for i in range(count):
        path = folder / f"DSC_{i:05d}.jpg"
        if path.exists():
            continue
        scene = paint_scene(10_000 + i, 400, 300).resize(size, Image.Resampling.BILINEAR)
        draw = ImageDraw.Draw(scene)
        for _ in range(6):
            x, y = rng.randrange(size[0]), rng.randrange(size[1])
            draw.rectangle([x, y, x + size[0] // 8, y + size[1] // 8],
                           fill=tuple(rng.randrange(256) for _ in range(3)))
        exif = Image.Exif()
        exif[0x010F], exif[0x0110] = "Canon", "EOS R6"
        exif.get_ifd(0x8769)[0x9003] = f"2024:{1 + i % 12:02d}:{1 + i % 28:02d} 12:{i % 60:02d}:00"
        scene.save(path, quality=88, exif=exif)
    done.write_text(f"{count} {size}")
    return folder


# -- a big generated library ------------------------------------------------------------------------------
def generate_library(library, photos: int, thumbnails: int, *, seed: int = 1) -> None:
    """Bulk-insert `photos` rows (one file each, dates over 15 years) and real grid thumbnails for the newest
    `thumbnails` of them; benchmarks and tests only: the app itself adds photos through the importer."""
    from PIL import Image

    rng = random.Random(seed)
    now = time.time()
    rows, files = [], []
    start = time.mktime((2010, 1, 1, 0, 0, 0, 0, 0, -1))
    span = 15 * 365 * 86400
    with library.db.engine.begin() as conn:
        folder_id = conn.exec_driver_sql(
            "INSERT INTO folders (path, added_at) VALUES (?, ?)", (f"/generated/{seed}", now)
        ).lastrowid
    for i in range(photos):
        sha = hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()
        taken = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(start + rng.random() * span))
        make, model, lens = rng.choice(CAMERAS)
        rows.append((sha, 2_000_000 + i, 4000, 3000, "JPEG", taken, "DateTimeOriginal", make, model, lens, 1,
                     "ok", 0, now))
        files.append((f"/generated/{seed}/{taken[:4]}/IMG_{i:06d}.jpg", 2_000_000 + i, 0, now, now, sha))
    with library.db.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO photos (sha256, size, width, height, format, taken_at, taken_at_source, camera_make,"
            " camera_model, lens, orientation, status, hidden, imported_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.exec_driver_sql("CREATE TEMP TABLE gen_files (path, size, mtime_ns, first_seen, last_seen, sha)")
        conn.exec_driver_sql("INSERT INTO gen_files VALUES (?,?,?,?,?,?)", files)
        conn.exec_driver_sql(
            "INSERT INTO photo_files (photo_id, folder_id, path, size, mtime_ns, missing, first_seen, last_seen)"
            f" SELECT p.id, {folder_id}, g.path, g.size, g.mtime_ns, 0, g.first_seen, g.last_seen"
            " FROM gen_files g JOIN photos p ON p.sha256 = g.sha"
        )
        conn.exec_driver_sql("DROP TABLE gen_files")
    newest = library.photos.list(limit=thumbnails)
    scenes = [paint_scene(k, 256, 192) for k in range(min(64, thumbnails))]
    for k, info in enumerate(newest):
        path = Path(info.thumbnail)
        path.parent.mkdir(parents=True, exist_ok=True)
        scene = scenes[k % len(scenes)]
        (scene if k % 4 else scene.transpose(Image.Transpose.FLIP_LEFT_RIGHT)).save(path, quality=80)


# -- the measurement (runs in a child process) --------------------------------------------------------------
def _child(library_dir: str, started_at: float, scroll_step: int, import_dir: str = "",
           import_timeout: float = 600.0, whole_scroll: bool = True) -> None:
    """Open the real window, note when the grid first paints with photos in it, then scroll it end to end."""
    import psutil
    from PySide6.QtCore import QEvent, QObject, QTimer

    from app.ui.application import create_app, create_main_window, pause_collection_for_start_up, settle_after_start_up

    pause_collection_for_start_up()  # as the app's own start does
    app = create_app(["shoebox-bench"])
    window, _ = create_main_window(library_dir, remember=False)
    # The generated rows have no original files, and most have no thumbnails on purpose: a real library's
    # photos have both, so the grid's thumbnail repair (one try per photo) would only measure failures here.
    window.loader.set_repair(None)
    # For the same reason the check of every thumbnail queued on open is skipped: it would queue a repair task
    # for each of the 98,000 generated rows, work that competes with the import and that a real library lacks.
    import app.core.ingest.repair as repair

    repair.schedule_thumbnail_check = lambda library: None
    settle_after_start_up()
    view = window.grid_view
    result: dict = {}

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and "first_paint_s" not in result and view.model().rowCount():
                result["first_paint_at"] = time.time()
                QTimer.singleShot(0, after_first_paint)
            return False

    def after_first_paint():
        view.viewport().removeEventFilter(watcher)
        result["first_paint_s"] = result.pop("first_paint_at") - started_at
        result["rows"] = view.model().rowCount()
        deadline = time.monotonic() + 2.0  # let the first screen of thumbnails arrive
        while time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.01)
        result["rss_mb"] = psutil.Process().memory_info().rss / 2**20
        bar = view.verticalScrollBar()
        step = max(1, scroll_step * view.gridSize().height())
        frames = []
        value = 0 if whole_scroll else bar.maximum() + 1
        t_all = time.perf_counter()
        while value <= bar.maximum():
            t0 = time.perf_counter()
            bar.setValue(value)
            view.viewport().repaint()
            app.processEvents()
            frames.append(time.perf_counter() - t0)
            value += step
        result["scroll_s"] = time.perf_counter() - t_all
        result["frames"] = len(frames)
        result["slow_frames"] = sum(1 for f in frames if f > 0.050)
        frames.sort()
        for key, at in (("frame_p50_ms", len(frames) // 2), ("frame_p99_ms", int(len(frames) * 0.99)),
                        ("frame_max_ms", -1)):
            result[key] = frames[at] * 1000 if frames else None  # None: --no-scroll
        result["rss_after_scroll_mb"] = psutil.Process().memory_info().rss / 2**20
        if import_dir:
            browse_while_importing()
        print("BENCH " + json.dumps(result), flush=True)
        window.close()
        app.quit()

    counted = window.refresh_live

    refresh_times: list[float] = []

    def refresh_counted():
        refresh_times.append(time.perf_counter())
        counted()

    window._live_refresh.timeout.disconnect()
    window._live_refresh.timeout.connect(refresh_counted)

    probe = None
    if os.environ.get("SHOEBOX_BENCH_TRACE"):
        from app.bench.frame_probe import FrameProbe

        probe = FrameProbe()
        probe.start()

    def browse(until, phase: str = "") -> list[float]:
        """Scroll up and down through the grid, one row per frame, until `until()`; the frame times."""
        bar = view.verticalScrollBar()
        step = view.gridSize().height()
        frames = []
        value, direction = bar.value(), 1
        while not until():
            if probe is not None:
                probe.begin()
            t0 = time.perf_counter()
            if not 0 <= value + direction * step <= bar.maximum():
                direction = -direction
            value += direction * step
            bar.setValue(value)
            view.viewport().repaint()
            app.processEvents()
            frames.append(time.perf_counter() - t0)
            if probe is not None:
                probe.end(phase)
        return frames

    def browse_while_importing():
        """The same browsing without, then with an import started in the window (run by its worker process).
        The first part is the control: on a loaded machine, frames are slow without any import too."""
        t_all = time.perf_counter()
        frames = sorted(browse(lambda: time.perf_counter() - t_all > CONTROL_S, "control"))
        result["browse_frames"] = len(frames)
        result["browse_frames_over_50ms"] = sum(1 for f in frames if f > 0.050)
        result["browse_p50_ms"] = frames[len(frames) // 2] * 1000
        result["browse_p99_ms"] = frames[int(len(frames) * 0.99)] * 1000
        t_control = (t_all, time.perf_counter())
        t_all = time.perf_counter()
        window.import_paths([import_dir])
        frames = browse(lambda: not window.imports.active or time.perf_counter() - t_all > import_timeout, "import")
        result["import_s"] = time.perf_counter() - t_all
        result["import_refreshes"] = sum(1 for t in refresh_times if t >= t_all)
        result["import_finished"] = not window.imports.active
        result["import_rows"] = view.model().rowCount()
        result["import_frames"] = len(frames)
        result["import_frames_over_50ms"] = sum(1 for f in frames if f > 0.050)
        frames.sort()
        result["import_p50_ms"] = frames[len(frames) // 2] * 1000
        result["import_p99_ms"] = frames[int(len(frames) * 0.99)] * 1000
        result["import_max_ms"] = frames[-1] * 1000
        if probe is not None:
            probe.stop()
            result["trace_control"] = probe.report("control")
            result["trace_import"] = probe.report("import")
            result["trace_control"]["jobs"] = probe.jobs_report(*t_control, "control")
            result["trace_import"]["jobs"] = probe.jobs_report(t_all, time.perf_counter(), "import")

    watcher = FirstPaint()
    view.viewport().installEventFilter(watcher)
    window.resize(1280, 860)
    window.show()
    app.exec()


def run(args) -> int:
    from app.core.library import Library

    workdir = Path(args.workdir or Path(tempfile.gettempdir()) / f"shoebox-bench-gui-{args.photos}")
    library_dir = workdir / "library"
    import_folder = workdir / f"import-{args.import_photos}"
    with Library.open(library_dir, log_to_file=False) as library:
        _forget_folder(library, str(import_folder))  # an earlier run's import: every run imports the same work
        have = library.photos.count()
        if have != args.photos:
            if have:
                raise SystemExit(f"{library_dir} holds {have} photos, not {args.photos}: pass another --workdir")
            t0 = time.perf_counter()
            generate_library(library, args.photos, args.thumbnails)
            print(f"generated {args.photos:,} photo rows and {args.thumbnails:,} thumbnails in "
                  f"{time.perf_counter() - t0:.1f} s ({library_dir})")
    import_dir = ""
    if args.import_photos:
        t0 = time.perf_counter()
        import_dir = str(write_big_photos(import_folder, args.import_photos))
        print(f"{args.import_photos:,} photos of {IMPORT_SIZE[0]}x{IMPORT_SIZE[1]} to import ready in "
              f"{time.perf_counter() - t0:.1f} s")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("SHOEBOX_BENCH_QPA", "offscreen"))
    if args.trace:
        env["SHOEBOX_BENCH_TRACE"] = "1"
    started = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "app.bench.gui", "--child", str(library_dir), str(started), str(args.scroll_step),
         import_dir, str(args.import_seconds), *(["--no-scroll"] if args.no_scroll else [])],
        env=env, capture_output=True, text=True, timeout=args.timeout,
    )
    line = next((l for l in proc.stdout.splitlines() if l.startswith("BENCH ")), None)
    if proc.returncode != 0 or line is None:
        print(proc.stdout + proc.stderr, file=sys.stderr)
        return 1
    r = json.loads(line[6:])
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"\nshoebox bench gui: {r['rows']:,} photos, window 1280x860, QPA {env['QT_QPA_PLATFORM']}, "
          f"scroll step {args.scroll_step} row(s)\n")
    table = [
        ("first painted grid (from process start)", f"{r['first_paint_s']:.2f} s", f"≤ {GOALS['first_paint_s']} s",
         r["first_paint_s"] <= GOALS["first_paint_s"]),
        ("resident memory after opening", f"{r['rss_mb']:.0f} MB", f"≤ {GOALS['rss_mb']:.0f} MB",
         r["rss_mb"] <= GOALS["rss_mb"]),
    ]
    if r["frames"]:
        table += [
            ("scroll whole grid", f"{r['scroll_s']:.1f} s, {r['frames']:,} frames", "", None),
            ("frame time p50 / p99 / max",
             f"{r['frame_p50_ms']:.1f} / {r['frame_p99_ms']:.1f} / {r['frame_max_ms']:.1f} ms", "", None),
            ("frames over 50 ms", f"{r['slow_frames']}", "0", r["slow_frames"] == 0),
            ("resident memory after scrolling", f"{r['rss_after_scroll_mb']:.0f} MB", "", None),
        ]
    if "import_frames" in r:
        table += [
            (f"browse while importing {args.import_photos:,} photos",
             f"{r['import_s']:.1f} s, {r['import_frames']:,} frames, {r['import_refreshes']} refreshes"
             + ("" if r["import_finished"] else " (cut)"),
             "", None),
            ("  frame time p50 / p99 / max",
             f"{r['import_p50_ms']:.1f} / {r['import_p99_ms']:.1f} / {r['import_max_ms']:.1f} ms",
             f"p99 ≤ {GOALS['import_p99_ms']:.0f} ms", r["import_p99_ms"] <= GOALS["import_p99_ms"]),
            ("  frames over 50 ms", f"{r['import_frames_over_50ms']}", "0", r["import_frames_over_50ms"] == 0),
            (f"  control: browse {CONTROL_S:.0f} s with no import, p50 / p99",
             f"{r['browse_p50_ms']:.1f} / {r['browse_p99_ms']:.1f} ms, {r['browse_frames_over_50ms']} over 50",
             "", None),
        ]
    width = max(len(t[0]) for t in table)
    print(f"{'measure':<{width}}  {'result':<28} {'goal':<10} ok")
    for name, value, goal, ok in table:
        print(f"{name:<{width}}  {value:<28} {goal:<10} {'' if ok is None else ('yes' if ok else 'NO')}")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("gui", help="window start-up, memory and scrolling over a generated library")
    parser.add_argument("--photos", type=int, default=100_000, help="photo rows to generate (default 100000)")
    parser.add_argument("--thumbnails", type=int, default=2_000, help="thumbnails to write for the newest photos")
    parser.add_argument("--workdir", help="where the generated library is kept and reused between runs")
    parser.add_argument("--scroll-step", type=int, default=1, help="grid rows scrolled per frame (default 1)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds before the child window is stopped")
    parser.add_argument("--import-photos", type=int, default=1_000,
                        help="camera-size photos imported while the grid scrolls (0: skip that scenario)")
    parser.add_argument("--import-seconds", type=float, default=600.0,
                        help="browse at most this long while importing (the rest of the import is cut)")
    parser.add_argument("--no-scroll", action="store_true",
                        help="skip scrolling the whole grid: only first paint and browse-while-importing")
    parser.add_argument("--json", action="store_true", help="print the measurements as one JSON object")
    parser.add_argument("--trace", action="store_true",
                        help="record what the GUI thread ran in slow frames (app/bench/frame_probe.py; with --json)")
    parser.set_defaults(func=lambda args, library: run(args), needs_library=False)


def _forget_folder(library, folder: str) -> None:
    """Remove an earlier run's import of `folder` (benchmark only), so that every run imports the same work."""
    import sqlite3

    prefix = str(Path(folder).resolve())
    # A cut run's import must not resume in the next one. Without foreign-key checks: each deleted task would
    # look for its children through an unindexed parent_id (hours over 100,000 tasks).
    raw = sqlite3.connect(library.layout.database, timeout=30)
    try:
        with raw:
            raw.execute("DELETE FROM tasks")
            raw.execute("DELETE FROM task_groups")
    finally:
        raw.close()
    with library.db.engine.begin() as conn:
        ids = [r[0] for r in conn.exec_driver_sql(
            "SELECT DISTINCT photo_id FROM photo_files WHERE path LIKE ?", (prefix + "%",))]
        if not ids:
            return
        conn.exec_driver_sql("CREATE TEMP TABLE gone (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO gone VALUES (?)", [(i,) for i in ids])
        for table in _tables_referencing_photos(conn):
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE photo_id IN (SELECT id FROM gone)")
        conn.exec_driver_sql("DELETE FROM photos WHERE id IN (SELECT id FROM gone)")
        conn.exec_driver_sql("DELETE FROM folders WHERE path LIKE ?", (prefix + "%",))
        conn.exec_driver_sql("DROP TABLE gone")


def _tables_referencing_photos(conn) -> list[str]:
    tables = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [t for t in tables if any(c[1] == "photo_id" for c in conn.exec_driver_sql(f"PRAGMA table_info({t})"))]


if __name__ == "__main__" and len(sys.argv) >= 5 and sys.argv[1] == "--child":
    _child(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), *(sys.argv[5:6]), *map(float, sys.argv[6:7]),
           whole_scroll="--no-scroll" not in sys.argv[7:])
