"""Crop-tolerant pHashes: the pHash of the photo's centre at two crop levels, stored beside the whole-photo pHash.

A copy cropped by a few percent per side is the original scaled up by ~6-11%, which moves a 64-bit pHash by
10-20 bits: beyond any threshold that keeps distinct photos apart. The pHash of the original's centre 92% or 84%,
though, shows the same region as the cropped copy's whole picture, so comparing every hash of one photo with
every hash of the other (3 x 3) finds crops of 3-5% per side (and small straightening rotations) at the same
threshold. Measured with `shoebox bench dups` (docs/FORMATS.md, "Near duplicates").
"""

from __future__ import annotations

from PIL import Image

from app.core.ingest.phash import phash_grey

# Fraction cut from each side; the steps are small enough that a crop anywhere from 0 to ~10% per side is
# within ~2% of scale of one of the levels.
CROP_FRACTIONS = (0.04, 0.08)
HEX_DIGITS = 16 * len(CROP_FRACTIONS)


def centre(image: Image.Image, fraction: float) -> Image.Image:
    width, height = image.size
    dx, dy = round(width * fraction), round(height * fraction)
    return image.crop((dx, dy, width - dx, height - dy))


def crop_hashes_hex(image: Image.Image) -> str:
    """The pHashes of the centre crops as one string of 16 hex digits per level (computed on the small grid
    thumbnail, like the whole-photo pHash)."""
    grey = image.convert("L")  # per pixel, so cropping before or after it gives the same pixels
    return "".join(phash_grey(centre(grey, f)) for f in CROP_FRACTIONS)


def split(phash: str | None, crops: str | None) -> list[str]:
    """Every stored hash of a photo (16 hex digits each): the whole photo first, then its centre crops."""
    hashes = [phash] if phash else []
    if crops and len(crops) == HEX_DIGITS:
        hashes += [crops[i : i + 16] for i in range(0, HEX_DIGITS, 16)]
    return hashes
