"""Upright thumbnails from one reduced decode: JPEG draft mode lets libjpeg decode at 1/2, 1/4 or 1/8 scale, so
a 12-megapixel photo is never decoded at full size just to make a 1440 px preview."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

GRID_QUALITY = 80
PREVIEW_QUALITY = 85


def draft_size(size: tuple[int, int], longest_side: int) -> tuple[int, int]:
    """The smallest decode size whose longest side still reaches `longest_side` (keeps the aspect ratio)."""
    width, height = size
    scale = min(1.0, longest_side / max(width, height, 1))
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def open_reduced(image: Image.Image, longest_side: int) -> Image.Image:
    """Ask the decoder for a reduced image (JPEG only; other formats ignore drafts) and decode it, upright."""
    if image.format == "JPEG":
        image.draft("RGB", draft_size(image.size, longest_side))
    image.load()
    ImageOps.exif_transpose(image, in_place=True)
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG output: transparency flattened onto white, 16-bit greyscale scaled down."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        image = image.point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
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


def save_jpeg_atomic(image: Image.Image, path: Path, quality: int) -> None:
    """Write to a temporary file beside the target, then rename: a crash never leaves half a thumbnail."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".jpg", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            image.save(f, "JPEG", quality=quality, optimize=False)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_thumbnails(thumbs: dict[str, Image.Image], layout, sha256: str) -> dict[str, str]:
    """Store each thumbnail at layout.thumbnail(sha, name); existing ones (same content) are kept."""
    paths = {}
    for name, image in thumbs.items():
        target = layout.thumbnail(sha256, name)
        if not target.exists():
            save_jpeg_atomic(image, target, PREVIEW_QUALITY if name == "preview" else GRID_QUALITY)
        paths[name] = str(target)
    return paths
