"""Short video clips made in the test with PyAV (libx264 / libvpx from its bundled FFmpeg): scenes of solid
colours, patterns or pictures, with the container metadata a phone writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SIZE = (160, 120)


def solid(colour, size=SIZE) -> np.ndarray:
    frame = np.zeros((size[1], size[0], 3), np.uint8)
    frame[:] = colour
    return frame


def checker(a, b, cell: int = 20, size=SIZE) -> np.ndarray:
    yy, xx = np.mgrid[0:size[1], 0:size[0]]
    mask = ((yy // cell + xx // cell) % 2).astype(bool)
    frame = solid(a, size)
    frame[mask] = b
    return frame


def picture(path: Path, size=SIZE) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB").resize(size))


def write_clip(path: Path, scenes: list[np.ndarray], *, seconds: float = 2.0, fps: int = 10,
               metadata: dict | None = None, gop: int | None = None, rotation: int | None = None) -> Path:
    """One scene after another, each `seconds` long. `gop`: a key frame every that many frames (x264 otherwise
    puts one at the start and at cuts); `rotation`: the display rotation (counterclockwise degrees)."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    webm = path.suffix.lower() == ".webm"
    options = {} if webm else {"movflags": "use_metadata_tags"}
    height, width = scenes[0].shape[:2]
    with av.open(str(path), "w", options=options) as container:
        container.metadata.update(metadata or {})
        stream = container.add_stream("libvpx" if webm else "libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if gop:
            stream.codec_context.gop_size = gop
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for scene in scenes:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(scene), format="rgb24")
            for _ in range(round(seconds * fps)):
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
