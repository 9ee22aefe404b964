"""Perceptual hash for near-duplicate detection, taken from the small thumbnail already in memory."""

from __future__ import annotations

import imagehash
from PIL import Image


def phash_hex(image: Image.Image) -> str:
    """64-bit DCT pHash as 16 hex digits (imagehash shrinks to 32x32 grey itself)."""
    return str(imagehash.phash(image))
