"""Perceptual hash for near-duplicate detection, taken from the small thumbnail already in memory.

The same 64-bit DCT pHash as `imagehash.phash` (grey, Lanczos to 32x32, DCT-II of rows and columns through the
same pocketfft transform, top-left 8x8 against its median), bit for bit (tests/test_ingest_units.py compares them
on random images; the DCT is app/core/ingest/dct.py's, on numpy's pocketfft, so the desktop bundle carries no
scipy), computed without imagehash's per-call overhead: its median and its bit-string hex encoding cost
more than the transform itself, three times per imported photo (crop_hash.py hashes two centre crops too).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.core.ingest.dct import dct2

HASH_SIZE = 8
IMAGE_SIZE = HASH_SIZE * 4  # imagehash's highfreq_factor


def phash_grey(grey: Image.Image) -> str:
    """The pHash of a greyscale ("L") image, as 16 hex digits."""
    pixels = np.asarray(grey.resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.LANCZOS), dtype=np.float64)
    low = dct2(dct2(pixels.T).T)[:HASH_SIZE, :HASH_SIZE]  # columns, then rows, as imagehash's scipy calls
    ordered = np.sort(low, axis=None)
    middle = len(ordered) // 2
    median = (ordered[middle - 1] + ordered[middle]) / 2  # numpy.median of an even count, as imagehash takes it
    return np.packbits(low > median).tobytes().hex()


def phash_hex(image: Image.Image) -> str:
    """64-bit DCT pHash as 16 hex digits (shrunk to 32x32 grey here)."""
    return phash_grey(image.convert("L"))
