"""Real-format image files for the ingest tests: photographic-like pixels (gradients plus noise), EXIF by piexif."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import piexif
from PIL import Image


def pixels(width: int, height: int, seed: int = 0) -> np.ndarray:
    """Soft shapes (a coarse random grid, smoothly upscaled) plus grain: structure a perceptual hash can see,
    so two seeds differ clearly while a resized copy of one stays close."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8))
    scene = np.asarray(coarse.resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)
    image = scene + rng.normal(0, 10, (height, width, 3))
    return image.clip(0, 255).astype(np.uint8)


def exif_bytes(
    *,
    taken: str | None = "2021:07:14 18:30:05",
    digitized: str | None = None,
    datetime: str | None = None,
    offset: str | None = None,
    gps: tuple[float, float] | None = None,
    altitude: float | None = None,
    orientation: int | None = None,
    make: str | bytes | None = "Canon",
    model: str | bytes | None = "EOS 5D",
    lens: str | None = None,
) -> bytes:
    zeroth, exif, gps_ifd = {}, {}, {}
    if make is not None:
        zeroth[piexif.ImageIFD.Make] = make
    if model is not None:
        zeroth[piexif.ImageIFD.Model] = model
    if orientation is not None:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    if datetime:
        zeroth[piexif.ImageIFD.DateTime] = datetime
    if taken:
        exif[piexif.ExifIFD.DateTimeOriginal] = taken
    if digitized:
        exif[piexif.ExifIFD.DateTimeDigitized] = digitized
    if offset:
        exif[piexif.ExifIFD.OffsetTimeOriginal] = offset
    if lens:
        exif[piexif.ExifIFD.LensModel] = lens
    if gps:
        lat, lon = gps
        gps_ifd[piexif.GPSIFD.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        gps_ifd[piexif.GPSIFD.GPSLatitude] = _dms(abs(lat))
        gps_ifd[piexif.GPSIFD.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        gps_ifd[piexif.GPSIFD.GPSLongitude] = _dms(abs(lon))
    if altitude is not None:
        gps_ifd[piexif.GPSIFD.GPSAltitudeRef] = 1 if altitude < 0 else 0
        gps_ifd[piexif.GPSIFD.GPSAltitude] = (int(round(abs(altitude) * 100)), 100)
    return piexif.dump({"0th": zeroth, "Exif": exif, "GPS": gps_ifd})


def _dms(value: float):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    return ((degrees, 1), (minutes, 1), (int(round(seconds * 10000)), 10000))


def make_jpeg(path: Path, size=(640, 480), seed: int = 0, quality: int = 90, exif: bytes | None = b"", **exif_args) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if exif == b"":
        exif = exif_bytes(**exif_args)
    image = Image.fromarray(pixels(*size, seed=seed))
    image.save(path, "JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return path


def make_image(path: Path, fmt: str, size=(320, 240), seed: int = 0) -> Path:
    """PNG, GIF, BMP, TIFF, WEBP or HEIF (via pillow-heif)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(pixels(*size, seed=seed))
    if fmt == "HEIF":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    if fmt == "GIF":
        image = image.convert("P")
    image.save(path, fmt)
    return path


def deny_folder(monkeypatch, name: str) -> None:
    """Make every folder called `name` unreadable to os.scandir, as a folder without read permission is
    (chmod does not stop root, who runs the tests here)."""
    import os

    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith(name):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
