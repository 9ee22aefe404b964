"""A photo's full details for the info panel's "Details" section: every EXIF tag of the original (as exifread
names them) and the RGB histogram of its preview. Read on demand, one photo at a time; nothing is stored."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

MAX_VALUE = 200  # characters of one tag's value (maker notes and thumbnails are skipped anyway)
_SKIP = ("JPEGThumbnail", "TIFFThumbnail", "Thumbnail ", "MakerNote", "EXIF MakerNote", "Image PrintIM")


def exif_tags(path: str) -> list[tuple[str, str]]:
    """("EXIF ExposureTime", "1/250"), ... sorted by name; [] when the file has none or cannot be read."""
    import exifread

    try:
        with open(path, "rb") as f:
            tags = exifread.process_file(f, details=False, extract_thumbnail=False)
    except Exception as exc:  # noqa: BLE001 - exifread raises many kinds of errors on broken files
        log.debug("no EXIF details for %s: %s", path, exc)
        return []
    out = []
    for name, value in tags.items():
        if any(name.startswith(skip) for skip in _SKIP):
            continue
        text = str(value).replace("\x00", "").strip()
        if len(text) > MAX_VALUE:
            text = text[: MAX_VALUE - 1] + "…"
        out.append((name, text))
    return sorted(out)


def histogram(image_path: str) -> list[list[int]] | None:
    """Red, green and blue counts (256 each) of an image file (the preview thumbnail), or None."""
    from PIL import Image

    try:
        with Image.open(image_path) as image:
            values = image.convert("RGB").histogram()
    except Exception as exc:  # noqa: BLE001
        log.debug("no histogram for %s: %s", image_path, exc)
        return None
    return [values[0:256], values[256:512], values[512:768]]
