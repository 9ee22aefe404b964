"""`shoebox bench video`: how fast a clip is read for import (container facts, scene detection, keyframes), and
whether every scene gets its keyframe.

Clips are generated: painted scenes (app.bench.gui.paint_scene), each panning slowly, cut every `--scene-s`
seconds, encoded with libx264. Two layouts of the same pictures: key frames every second (as phones write them:
only those are decoded) and x264's default of one key frame per 250 frames (sparse: every frame is decoded).
"Realtime" is clip seconds read per second of wall time (higher is faster), best of `--rounds`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from app.commands.output import print_json


def register(subparsers) -> None:
    parser = subparsers.add_parser("video", help="video clips: read speed (realtime x) and keyframes per scene")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each generated clip")
    parser.add_argument("--scene-s", type=float, default=5.0, help="seconds between scene cuts")
    parser.add_argument("--size", default="1280x720", help="frame size WIDTHxHEIGHT")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(func=run, needs_library=False)


def write_clip(path: Path, *, seconds: float, scene_s: float, size: tuple[int, int], fps: int, gop: int | None) -> int:
    """Write the clip; returns how many scenes it has."""
    import av
    import numpy as np

    from app.bench.gui import paint_scene

    width, height = size
    scenes = max(1, round(seconds / scene_s))
    per_scene = round(scene_s * fps)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        if gop:
            stream.codec_context.gop_size = gop
        for scene in range(scenes):
            picture = np.asarray(paint_scene(500 + scene, width + 160, height).convert("RGB"))
            for i in range(per_scene):
                shift = i * 160 // per_scene
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture[:, shift:shift + width]),
                                                   format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return scenes


def measure(path: Path, rounds: int) -> dict:
    from app.core.ingest.video import read_video

    best, video = None, None
    for _ in range(rounds):
        start = time.perf_counter()
        video = read_video(str(path), mtime_ns=None, longest_side=1440, suffix=path.suffix)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return {"seconds": round(best, 3), "realtime_x": round(video.duration_s / best, 1),
            "keyframes": len(video.keyframes), "times": [k.time_s for k in video.keyframes]}


def run(args, _library) -> int:
    width, height = (int(v) for v in args.size.lower().split("x"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for layout, gop in (("key frame every 1 s", args.fps), ("x264 default (sparse)", None)):
            path = Path(tmp) / f"clip-{gop or 'default'}.mp4"
            scenes = write_clip(path, seconds=args.seconds, scene_s=args.scene_s, size=(width, height), fps=args.fps,
                                gop=gop)
            row = {"layout": layout, "size": f"{width}x{height}", "clip_s": args.seconds, "scenes": scenes,
                   "mb": round(path.stat().st_size / 1e6, 2), **measure(path, args.rounds)}
            rows.append(row)
    if args.json:
        print_json({"clips": rows})
        return 0
    print(f"{'layout':24} {'size':>10} {'clip s':>7} {'MB':>6} {'read s':>7} {'realtime':>9} {'scenes':>7} {'keyframes':>9}")
    for r in rows:
        print(f"{r['layout']:24} {r['size']:>10} {r['clip_s']:>7.1f} {r['mb']:>6.2f} {r['seconds']:>7.3f} "
              f"{r['realtime_x']:>8.1f}x {r['scenes']:>7} {r['keyframes']:>9}")
    return 0
