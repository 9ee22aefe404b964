"""Smoke test of a built bundle, run outside any virtualenv (a clean environment, as `env -i` gives).

    python packaging/smoke_test.py [--bundle dist/Shoebox] [--corpus DIR] [--faces DIR] [--screenshot PNG]

1. CLI: `shoebox --library L import CORPUS --json` and `photos --json`, checked against each other; the
   background tasks the import ran (thumbnails, faces, events...) must not have died; with --faces (default
   ../shared/faces when present) a face must be found, which proves the YuNet/SFace weights are in the bundle;
   with --onnx-model DIR an exported CLIP model is imported and searched with (onnxruntime and faiss); GPS
   photos are found by the place names this checkout's gazetteer gives them; a short MP4 made here imports as
   a video.
2. GUI (Linux, needs Xvfb): start `Shoebox --library L` on a fresh X server, time until the window is painted
   (first frame with the window on it) and until it settles (no change for 3 seconds), save a screenshot.
   The window queues a thumbnail check when it opens a library and runs it in its background worker, a
   `shoebox tasks worker` process started from the bundle's own CLI executable: that check must get done
   while the window runs (only the worker runs tasks), which proves the packaged worker starts.
Run by packaging/build.py, never by the default test run (it needs a built bundle and takes a minute).
Exits non-zero with a message when a check fails; prints a JSON summary last.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" if (ROOT.parent / "shared").is_dir() else ROOT.parents[1] / "shared"
IS_WIN = sys.platform == "win32"
CLI_NAME = "shoebox" if sys.platform.startswith("linux") else "shoebox-cli"
PAINTED_FRACTION = 0.02  # a frame counts as painted once this share of the screen is not the black root
SETTLE_S = 3.0  # thumbnails load on a worker thread; a busy machine takes a while
GUI_DEADLINE_S = 60.0


class SmokeFailure(Exception):
    pass


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """What `env -i` leaves, plus a private HOME: no virtualenv, no PYTHONPATH, system PATH only."""
    env = {"HOME": str(home), "LANG": "C.UTF-8"}
    if IS_WIN:  # Windows cannot start a process without these
        env.update({k: os.environ[k] for k in ("SYSTEMROOT", "SYSTEMDRIVE", "TEMP", "TMP") if k in os.environ})
        env["USERPROFILE"] = env["APPDATA"] = env["LOCALAPPDATA"] = str(home)
        env["PATH"] = os.path.join(os.environ.get("SYSTEMROOT", r"C:\Windows"), "System32")
    else:
        env["PATH"] = "/usr/bin:/bin"
    env.update(extra)
    return env


def cli(bundle: Path, env: dict, *args: str, parse: bool = True) -> object:
    exe = bundle / (CLI_NAME + (".exe" if IS_WIN else ""))
    proc = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise SmokeFailure(f"{exe.name} {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    if not parse:
        return proc.stdout
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise SmokeFailure(f"{exe.name} {' '.join(args)} printed no JSON ({exc}):\n{proc.stdout[:2000]}") from exc


def check_cli(bundle: Path, library: Path, corpus: Path, faces: Path | None, env: dict,
              allow_failed: bool = False, onnx_model: Path | None = None) -> dict:
    started = time.monotonic()
    imported = cli(bundle, env, "--library", str(library), "import", str(corpus), "--json")
    if not imported.get("imported"):
        raise SmokeFailure(f"import found no photos in {corpus}: {imported}")
    if imported.get("failed") and not allow_failed:
        errors = cli(bundle, env, "--library", str(library), "errors", "--json")
        raise SmokeFailure(f"{imported['failed']} files failed to import (a module missing from the bundle?): "
                           f"{json.dumps(errors)[:2000]}")
    photos = cli(bundle, env, "--library", str(library), "photos", "--json")
    if len(photos) != imported["imported"]:
        raise SmokeFailure(f"photos --json lists {len(photos)} photos, import said {imported['imported']}")
    outside = [p["path"] for p in photos if not Path(p["path"]).resolve().is_relative_to(corpus.resolve())]
    if outside:
        raise SmokeFailure(f"photos outside the corpus: {outside[:3]}")
    summary = {"imported": imported["imported"], "photos": len(photos)}
    summary.update(check_places(bundle, library, photos, env))
    if faces is not None:
        people = library.parent / "faces-library"  # its own library: the screenshot shows the corpus only
        cli(bundle, env, "--library", str(people), "import", str(faces), "--json")
        found = cli(bundle, env, "--library", str(people), "faces", "list", "--json")
        if not found:
            raise SmokeFailure(f"no face found in {faces}: are the YuNet/SFace weights in the bundle?")
        summary["faces"] = len(found)
    if onnx_model is not None:  # onnxruntime + faiss inside the bundle: an exported CLIP model searches
        cli(bundle, env, "--library", str(library), "models", "import", str(onnx_model), "--id", "clip:smoke/onnx",
            parse=False)
        cli(bundle, env, "--library", str(library), "tasks", "run", "--no-progress", parse=False)
        hits = cli(bundle, env, "--library", str(library), "search", "red flowers", "--limit", "3", "--json")
        if not hits:
            raise SmokeFailure("search with the ONNX model found nothing")
        summary["search_hits"] = len(hits)
    tasks = cli(bundle, env, "--library", str(library), "tasks", "list", "--json")
    dead = [t for t in tasks if t["state"] == "dead"]
    if dead:
        raise SmokeFailure("background tasks died in the bundle: "
                           + "; ".join(f"{t['type']}: {t['error_class']}: {t['error_message']}" for t in dead))
    summary["tasks_done"] = sum(t["state"] == "done" for t in tasks)
    summary["cli_s"] = round(time.monotonic() - started, 1)
    return summary


def check_places(bundle: Path, library: Path, photos: list[dict], env: dict) -> dict:
    """The bundle names places from its packed GeoNames file (app/core/places/packed.py): each GPS photo must
    be found by `find place:CITY` with the city this checkout's gazetteer (the packages' data) names."""
    sys.path.insert(0, str(ROOT))
    from app.core.places.gazetteer import Gazetteer, source_data

    names = Gazetteer(source_data())
    expected: dict[str, set[int]] = {}
    for photo in photos:
        if photo.get("gps_lat") is not None:
            city = names.name(photo["gps_lat"], photo["gps_lon"]).city
            if city:
                expected.setdefault(city, set()).add(photo["id"])
    for city, ids in expected.items():
        found = {hit["id"] for hit in cli(bundle, env, "--library", str(library), "find", f'place:"{city}"', "--json")}
        if not ids <= found:
            raise SmokeFailure(f"place:{city} finds {sorted(found)} in the bundle, the packages' data names "
                               f"{sorted(ids)}")
    return {"places": sorted(expected)}


def check_video(bundle: Path, tmp: Path, env: dict) -> dict:
    """A short MP4 (made here with PyAV's x264) imports as a video in the bundle, whose PyAV decodes only (its
    encoders are stubs): duration and poster keyframe read."""
    try:
        import av
        import numpy as np
    except ImportError:
        return {"video": "skipped (no PyAV here to make a clip)"}
    clip = tmp / "videos" / "clip.mp4"
    clip.parent.mkdir()
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for colour in ((200, 30, 30), (30, 30, 200)):
            frame = av.VideoFrame.from_ndarray(np.full((120, 160, 3), colour, np.uint8), format="rgb24")
            for _ in range(20):
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    library = tmp / "video-library"
    imported = cli(bundle, env, "--library", str(library), "import", str(clip.parent), "--json")
    photos = cli(bundle, env, "--library", str(library), "photos", "--json")
    videos = [p for p in photos if p.get("media") == "video" and (p.get("duration_s") or 0) > 3]
    if imported.get("failed") or len(videos) != 1:
        errors = cli(bundle, env, "--library", str(library), "errors", "--json")
        raise SmokeFailure(f"the clip did not import as a video: {imported}; {photos}; {errors}")
    return {"video_duration_s": videos[0]["duration_s"]}


def check_multimedia(bundle: Path, env: dict) -> dict:
    """QtMultimedia, QtMultimediaWidgets and the FFmpeg media plugin are in the bundle (entry_gui.py's
    SHOEBOX_CHECK_MULTIMEDIA lists what the loaded backend decodes): voice notes and video clips need them."""
    exe = bundle / ("Shoebox.exe" if IS_WIN else "Shoebox")
    proc = subprocess.run([str(exe)], env={**env, "SHOEBOX_CHECK_MULTIMEDIA": "1", "QT_QPA_PLATFORM": "offscreen"},
                          capture_output=True, text=True, timeout=300)
    try:
        codecs = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise SmokeFailure(f"the QtMultimedia check printed no JSON (exit {proc.returncode}):\n"
                           f"{proc.stderr[-3000:]}") from None
    missing = {"Wave", "AAC"} - set(codecs["audio"]) or {"MPEG4", "Wave"} - set(codecs["files"])
    if missing:
        raise SmokeFailure(f"QtMultimedia decodes no {sorted(missing)} (is the FFmpeg media plugin in the bundle?): "
                           f"{codecs}; {proc.stderr[-2000:]}")
    return {"audio_codecs": len(codecs["audio"]), "video_codecs": len(codecs["video"]),
            "file_formats": len(codecs["files"])}


def read_xwd(path: Path):
    """The screen Xvfb keeps in an XWD file (-fbdir) as a PIL image; reading it costs no X round trip."""
    from PIL import Image

    data = path.read_bytes()
    fmt = ">" if struct.unpack(">I", data[:4])[0] < 4096 else "<"
    fields = struct.unpack(fmt + "25I", data[:100])
    header_size, width, height = fields[0], fields[4], fields[5]
    bits_per_pixel, bytes_per_line, ncolors = fields[11], fields[12], fields[19]
    if bits_per_pixel != 32:
        raise SmokeFailure(f"Xvfb framebuffer has {bits_per_pixel} bits per pixel; start it with depth 24")
    start = header_size + 12 * ncolors
    pixels = data[start:start + bytes_per_line * height]
    raw = "BGRX" if fields[7] == 0 else "XRGB"  # byte_order: 0 = LSBFirst
    return Image.frombuffer("RGB", (width, height), pixels, "raw", raw, bytes_per_line, 1)


def painted_fraction(image) -> float:
    histogram = image.convert("L").histogram()
    return 1.0 - histogram[0] / (image.width * image.height)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux): start-up cost that a busy machine does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_display() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise SmokeFailure("no free X display number")


WORKER_TASK = "thumbnails_check"  # queued by the window on opening a library (app.core.ingest.repair)
WORKER_DEADLINE_S = 120.0


def done_tasks(bundle: Path, library: Path, env: dict, task_type: str) -> set[int]:
    return {t["id"] for t in cli(bundle, env, "--library", str(library), "tasks", "list", "--json")
            if t["type"] == task_type and t["state"] == "done"}


def worker_processes(parent: int) -> list[str]:
    """Command lines of the `tasks worker` children of a process (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != parent:
                continue
            cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue  # the process ended meanwhile
        args = [a.decode(errors="replace") for a in cmdline if a]
        if args[-2:] == ["tasks", "worker"]:
            found.append(" ".join(args))
    return found


def check_worker(bundle: Path, library: Path, app: subprocess.Popen, env: dict, before: set[int],
                 log: Path) -> dict:
    """The window's background worker started (from the bundle's CLI) and ran the check the window queued."""
    started, seen = time.monotonic(), []
    while time.monotonic() - started < WORKER_DEADLINE_S:
        if app.poll() is not None:
            raise SmokeFailure(f"Shoebox exited {app.returncode}:\n{log.read_text()[-3000:]}")
        seen = seen or worker_processes(app.pid)
        new = done_tasks(bundle, library, env, WORKER_TASK) - before
        if new:
            return {"worker_ran": sorted(new), "worker_cmdline": seen[0] if seen else None}
        time.sleep(0.5)
    raise SmokeFailure(f"the window's background worker did not run the {WORKER_TASK} task within "
                       f"{WORKER_DEADLINE_S:.0f} s (worker processes seen: {seen}); window log:\n"
                       f"{log.read_text()[-3000:]}")


def check_gui(bundle: Path, library: Path, tmp: Path, screenshot: Path, exe: Path | None = None,
              worker: bool = True) -> dict:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise SmokeFailure("Xvfb is not installed (apt-get install xvfb)")
    fbdir = tmp / "fb"
    fbdir.mkdir()
    display = free_display()
    server = subprocess.Popen([xvfb, f":{display}", "-screen", "0", "1280x800x24", "-fbdir", str(fbdir),
                               "-nolisten", "tcp", "-br"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = None
    try:
        framebuffer = fbdir / "Xvfb_screen0"
        deadline = time.monotonic() + 30
        while not Path(f"/tmp/.X11-unix/X{display}").exists() or not framebuffer.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SmokeFailure("Xvfb did not start")
            time.sleep(0.05)
        runtime = tmp / "runtime"
        runtime.mkdir(mode=0o700)
        env = clean_env(tmp / "home", DISPLAY=f":{display}", XDG_RUNTIME_DIR=str(runtime))
        before = done_tasks(bundle, library, env, WORKER_TASK) if worker and library.exists() else set()
        log = open(tmp / "gui.log", "w")
        started = time.monotonic()
        app = subprocess.Popen([str(exe or bundle / "Shoebox"), "--library", str(library)], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
        painted_s = settled_s = painted_cpu_s = None
        last, last_change = None, None
        deadline = started + GUI_DEADLINE_S
        while time.monotonic() < deadline:
            if app.poll() is not None:
                raise SmokeFailure(f"Shoebox exited {app.returncode}:\n{(tmp / 'gui.log').read_text()[-3000:]}")
            frame = read_xwd(framebuffer)
            now = time.monotonic()
            if painted_s is None and painted_fraction(frame) >= PAINTED_FRACTION:
                painted_s, painted_cpu_s = now - started, cpu_seconds(app.pid)
            if painted_s is not None:
                pixels = frame.tobytes()
                if pixels != last:
                    last, last_change = pixels, now
                elif now - last_change >= SETTLE_S:
                    settled_s = last_change - started
                    break
            time.sleep(0.02)
        if painted_s is None:
            raise SmokeFailure(f"no window was painted within {GUI_DEADLINE_S:.0f} s")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        image = read_xwd(framebuffer)
        image.save(screenshot)
        result = {"painted_s": round(painted_s, 2), "painted_cpu_s": round(painted_cpu_s, 2),
                  "settled_s": None if settled_s is None else round(settled_s, 2),
                  "screen_painted": round(painted_fraction(image), 2), "screenshot": str(screenshot)}
        if worker and exe is None:
            result.update(check_worker(bundle, library, app, env, before, tmp / "gui.log"))
        return result
    finally:
        for proc in (app, server):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=str(ROOT / "dist" / "Shoebox"))
    parser.add_argument("--corpus", default=str(SHARED / "corpus"))
    parser.add_argument("--faces", default=str(SHARED / "faces") if (SHARED / "faces").is_dir() else None,
                        help="a folder with photos of people ('' to skip the face check)")
    parser.add_argument("--screenshot", default=str(ROOT / "docs" / "screenshots" / "bundle-linux.png"))
    parser.add_argument("--onnx-model", help="an exported ONNX CLIP folder (image/text .onnx files) to search with")
    parser.add_argument("--no-gui", action="store_true", help="CLI checks only")
    parser.add_argument("--gui-only", action="store_true", help="only time the window (on a new empty library)")
    parser.add_argument("--gui-exe", help="time this program instead of the bundle's Shoebox (e.g. a script that "
                                          "runs `python -m app` from a checkout), for comparison")
    parser.add_argument("--allow-failed", action="store_true", help="the corpus holds files that cannot be imported")
    args = parser.parse_args()
    bundle, corpus = Path(args.bundle).resolve(), Path(args.corpus).resolve()
    if not corpus.is_dir():
        print(f"smoke test: no corpus folder {corpus} (give --corpus DIR)", file=sys.stderr)
        return 2
    faces = Path(args.faces).resolve() if args.faces else None
    with tempfile.TemporaryDirectory(prefix="shoebox-smoke-") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "home").mkdir()
        library = tmp / "library"
        try:
            multimedia = None if args.gui_only else check_multimedia(bundle, clean_env(tmp / "home"))
            result = {} if args.gui_only else {"cli": check_cli(bundle, library, corpus, faces, clean_env(tmp / "home"), args.allow_failed,
                                     Path(args.onnx_model).resolve() if args.onnx_model else None)}
            if multimedia:
                result["multimedia"] = multimedia
                result["cli"].update(check_video(bundle, tmp, clean_env(tmp / "home")))
            if sys.platform.startswith("linux") and not args.no_gui:
                result["gui"] = check_gui(bundle, library, tmp, Path(args.screenshot).resolve(),
                                          Path(args.gui_exe).resolve() if args.gui_exe else None)
        except SmokeFailure as exc:
            print(f"smoke test FAILED: {exc}", file=sys.stderr)
            return 1
    gui = result.get("gui")
    if gui:
        verdict = "met" if gui["painted_s"] <= 2.0 else "missed"
        print(f"start-up to painted window: {gui['painted_s']} s (goal <= 2 s: {verdict}; CPU time "
              f"{gui['painted_cpu_s']} s); settled after {gui['settled_s']} s")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
