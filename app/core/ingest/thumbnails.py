"""Upright thumbnails from one bounded decode, written so that a kill or a full disk never leaves a broken file.

Decoding: JPEG draft mode lets libjpeg decode at 1/2, 1/4 or 1/8 scale, so a 12-megapixel photo is never
decoded at full size just to make a 1440 px preview. Other formats decode at full size once; the image is then
flattened to RGB and shrunk strip by strip, so no second full-size copy is ever made (a 13,000 x 13,000 RGBA
PNG holds its 676 MB once instead of four times). `decode_cost` says beforehand how much that takes.

Writing: each JPEG is encoded in memory, checked, written to a temporary file in `thumbnails/.tmp`, flushed to
disk (a full disk often only shows at fsync) and renamed over the target, so a thumbnail is either whole or
absent; temporary files a kill left behind are removed when the library opens (tempfiles.py).

An import writes many small thumbnails and flushes them together instead (`durable=False`, then `flush_files`
for a whole batch before its database commit): one fsync per file, one after another, was the largest part of
a small photo's import. The rename then comes before the flush, which is safe here: a kill cannot tear a file
that write() has finished, nothing refers to a thumbnail until the commit that follows the flush, and one left
incomplete by a power cut fails `thumbnail_ok` (no end marker, or empty) and is made again.
"""

from __future__ import annotations

import io
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from app.core.ingest.tempfiles import ensure_folder, forget_folder, new_temp_file

GRID_QUALITY = 80
PREVIEW_QUALITY = 85
# Pixels per strip when flattening a large image (its copies stay this small).
STRIP_BYTES = 8 << 20
# How many bytes Pillow keeps per pixel for each mode (every other mode takes 4).
_PIXEL_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
# EXIF orientation -> the transpose that makes the image upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


# -- decoding ----------------------------------------------------------------------------------------------


def draft_size(size: tuple[int, int], longest_side: int) -> tuple[int, int]:
    """The smallest decode size whose longest side still reaches `longest_side` (keeps the aspect ratio)."""
    width, height = size
    scale = min(1.0, longest_side / max(width, height, 1))
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def prepare_decode(image: Image.Image, longest_side: int) -> None:
    """Ask the decoder for a reduced image where it can (JPEG); `image.size` is then the size it will decode."""
    if isinstance(image, JpegImageFile):  # MPO files are JPEGs too
        image.draft("RGB", draft_size(image.size, longest_side))


def open_reduced(image: Image.Image, longest_side: int) -> Image.Image:
    """Decode `image` reduced and upright in one call (prepare_decode + decode_upright, without a budget)."""
    orientation = image.getexif().get(0x0112)
    prepare_decode(image, longest_side)
    return decode_upright(image, longest_side, orientation)


def reduce_factor(size: tuple[int, int], longest_side: int) -> int:
    """The largest integer shrink that keeps the longest side at `longest_side` or more."""
    return max(1, max(size) // max(1, longest_side))


def decode_cost(image: Image.Image, longest_side: int, *, heif: bool = False) -> int:
    """Bytes `decode_upright` will hold at its peak: the decoded image (twice for HEIF, whose decoder keeps
    its own copy), the shrunk RGB copy and a few strips."""
    width, height = image.size
    decoded = width * height * _PIXEL_BYTES.get(image.mode, 4) * (2 if heif else 1)
    factor = reduce_factor(image.size, longest_side)
    if factor == 1:
        return decoded + width * height * 4 * 2  # small enough to flatten in one piece
    shrunk = math.ceil(width / factor) * math.ceil(height / factor) * 4
    return decoded + shrunk + 4 * STRIP_BYTES


def decode_upright(image: Image.Image, longest_side: int, orientation: int | None) -> Image.Image:
    """Decode (at draft size if prepared), flatten to RGB, shrink to about `longest_side` and turn upright by the
    EXIF orientation read before decoding. The full-size decode is released on return."""
    image.load()
    factor = reduce_factor(image.size, longest_side)
    if factor == 1:
        result = to_rgb(image)
        if result is image:
            result = image.copy()
    else:
        result = _shrink_by_strips(image, factor)
    image.close()  # frees the full-size pixels now, not when the caller's `with` ends
    method = _UPRIGHT.get(orientation or 1)
    return result.transpose(method) if method is not None else result


def _shrink_by_strips(image: Image.Image, factor: int) -> Image.Image:
    """RGB, `factor` times smaller, made strip by strip: each strip is flattened, then box-averaged."""
    width, height = image.size
    row_bytes = width * 4
    rows = max(factor, (STRIP_BYTES // max(1, row_bytes)) // factor * factor)
    result = Image.new("RGB", (math.ceil(width / factor), math.ceil(height / factor)))
    for top in range(0, height, rows):
        strip = to_rgb(image.crop((0, top, width, min(height, top + rows))))
        result.paste(strip.reduce(factor), (0, top // factor))
    return result


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG output: transparency flattened onto white, 16-bit greyscale scaled down."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def make_thumbnails(image: Image.Image, sizes: dict[str, int]) -> dict[str, Image.Image]:
    """One resized copy per size name (largest first, each made from the previous one to save work)."""
    result: dict[str, Image.Image] = {}
    source = to_rgb(image)
    for name, longest in sorted(sizes.items(), key=lambda item: -item[1]):
        thumb = source.copy()
        thumb.thumbnail((longest, longest), Image.Resampling.BICUBIC)
        result[name] = thumb
        source = thumb
    return result


# -- writing and checking ----------------------------------------------------------------------------------


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=False)
    return buffer.getvalue()


def jpeg_looks_whole(data: bytes) -> bool:
    """A JPEG starts with SOI and ends with EOI; a cut-short one (full disk, kill) lacks the end marker."""
    return len(data) > 4 and data[:3] == b"\xff\xd8\xff" and data[-2:] == b"\xff\xd9"


def write_all(fd: int, data: bytes) -> None:
    """os.write may write less than asked (signals, quotas): loop until everything is out."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def save_jpeg_atomic(
    image: Image.Image, path: Path, quality: int, temp_dir: Path | None = None, *, durable: bool = True
) -> None:
    """Encode, verify, write to a temporary file on the same disk, fsync, rename: the target is whole or absent.
    `durable=False` leaves out the fsync: the caller flushes the file (flush_files) before anything refers to
    it."""
    data = encode_jpeg(image, quality)
    if not jpeg_looks_whole(data):
        raise OSError(f"the JPEG encoder produced an incomplete thumbnail for {path.name}")
    ensure_folder(path.parent)
    fd, tmp = new_temp_file(temp_dir or path.parent, ".jpg")
    try:
        try:
            write_all(fd, data)
            if durable:
                os.fsync(fd)
            if os.fstat(fd).st_size != len(data):
                raise OSError(f"the thumbnail {path.name} was written short")
        finally:
            os.close(fd)
        try:
            os.replace(tmp, path)
        except FileNotFoundError:  # the target's folder was removed since it was made: once more
            forget_folder(path.parent)
            ensure_folder(path.parent)
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_FLUSH_THREADS = 8  # fsyncs in flight at once: the file system commits them together
_flush_pool: ThreadPoolExecutor | None = None
_flush_pool_lock = threading.Lock()


def _flush_one(path: str) -> OSError | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        return exc
    return None


def flush_files(paths: list[str]) -> dict[str, OSError]:
    """fsync these files, several at once (fsync waits on the disk, not the CPU); returns the ones that failed,
    with why. Many files flushed together cost about what one costs alone."""
    global _flush_pool
    if len(paths) <= 1:
        errors = {path: _flush_one(path) for path in paths}
    else:
        with _flush_pool_lock:
            if _flush_pool is None:
                _flush_pool = ThreadPoolExecutor(_FLUSH_THREADS, thread_name_prefix="thumbnail-flush")
        errors = dict(zip(paths, _flush_pool.map(_flush_one, paths)))
    return {path: error for path, error in errors.items() if error is not None}


def thumbnail_ok(path: str | os.PathLike, *, full: bool = False) -> bool:
    """Cheap: the file exists, is not empty and has a JPEG's first and last markers. `full` also decodes it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:  # five system calls: this runs for every photo on every import
        size = os.fstat(fd).st_size
        if size <= 4 or os.pread(fd, 3, 0) != b"\xff\xd8\xff" or os.pread(fd, 2, size - 2) != b"\xff\xd9":
            return False
    except OSError:
        return False
    finally:
        os.close(fd)
    if full:
        try:
            with Image.open(path) as image:
                image.load()
        except Exception:  # noqa: BLE001 - any decoder complaint means "regenerate it"
            return False
    return True


def save_thumbnails(
    thumbs: dict[str, Image.Image], layout, sha256: str, *, replace: bool = False, written: list[str] | None = None
) -> dict[str, str]:
    """Store each thumbnail at layout.thumbnail(sha, name). A whole existing one (same content) is kept unless
    `replace`; a broken one is rewritten. With a `written` list, the files written are appended to it and not
    flushed: the caller flushes them (flush_files)."""
    paths = {}
    for name, image in thumbs.items():
        target = layout.thumbnail(sha256, name)
        if replace or not thumbnail_ok(target):
            save_jpeg_atomic(
                image,
                target,
                PREVIEW_QUALITY if name == "preview" else GRID_QUALITY,
                layout.thumbnail_temp,
                durable=written is None,
            )
            if written is not None:
                written.append(str(target))
        paths[name] = str(target)
    return paths
