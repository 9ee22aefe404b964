"""Capture time, GPS, orientation and camera from EXIF: exifread first, Pillow's EXIF reader as a fallback.

EXIF in the wild is messy (wrong types, zero denominators, megabyte-long strings, dates of 0000:00:00), so every
field is read on its own and a bad field becomes None instead of failing the photo.
"""

from __future__ import annotations

import io
import logging
import math
import re
from datetime import datetime
from fractions import Fraction
from typing import Any

import exifread

from app.core.photo_metadata import PhotoMetadata

log = logging.getLogger(__name__)
# exifread warns loudly about every odd tag; the fields we need are validated here instead.
logging.getLogger("exifread").setLevel(logging.ERROR)

MAX_TEXT = 128  # longest make/model/lens we keep (the columns are String(128))
DATE_SOURCES = ("DateTimeOriginal", "DateTimeDigitized", "DateTime")

# Canonical field name -> exifread tag name.
_EXIFREAD_TAGS = {
    "DateTimeOriginal": "EXIF DateTimeOriginal",
    "DateTimeDigitized": "EXIF DateTimeDigitized",
    "DateTime": "Image DateTime",
    "OffsetTimeOriginal": "EXIF OffsetTimeOriginal",
    "Make": "Image Make",
    "Model": "Image Model",
    "LensModel": "EXIF LensModel",
    "Orientation": "Image Orientation",
    "GPSLatitudeRef": "GPS GPSLatitudeRef",
    "GPSLatitude": "GPS GPSLatitude",
    "GPSLongitudeRef": "GPS GPSLongitudeRef",
    "GPSLongitude": "GPS GPSLongitude",
    "GPSAltitudeRef": "GPS GPSAltitudeRef",
    "GPSAltitude": "GPS GPSAltitude",
}
# Canonical field name -> (IFD, tag id) for Pillow's Image.getexif(); IFD None = the base IFD0.
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_PILLOW_TAGS = {
    "DateTimeOriginal": (_EXIF_IFD, 0x9003),
    "DateTimeDigitized": (_EXIF_IFD, 0x9004),
    "DateTime": (None, 0x0132),
    "OffsetTimeOriginal": (_EXIF_IFD, 0x9011),
    "Make": (None, 0x010F),
    "Model": (None, 0x0110),
    "LensModel": (_EXIF_IFD, 0xA434),
    "Orientation": (None, 0x0112),
    "GPSLatitudeRef": (_GPS_IFD, 1),
    "GPSLatitude": (_GPS_IFD, 2),
    "GPSLongitudeRef": (_GPS_IFD, 3),
    "GPSLongitude": (_GPS_IFD, 4),
    "GPSAltitudeRef": (_GPS_IFD, 5),
    "GPSAltitude": (_GPS_IFD, 6),
}


def read_exifread(fileobj) -> dict[str, Any]:
    """Raw values of the fields we use, from exifread (no maker notes: they are slow and often broken)."""
    try:
        tags = exifread.process_file(fileobj, details=False, extract_thumbnail=False)
    except Exception as exc:  # exifread raises many kinds of errors on broken files
        log.debug("exifread failed: %s", exc)
        return {}
    raw = {}
    for name, tag_name in _EXIFREAD_TAGS.items():
        tag = tags.get(tag_name)
        if tag is None:
            continue
        values = getattr(tag, "values", None)
        raw[name] = values if values is not None else str(tag)
    return raw


def read_pillow(image) -> dict[str, Any]:
    """Raw values of the fields we use, from a Pillow image's EXIF (works for formats exifread misses)."""
    try:
        exif = image.getexif()
    except Exception as exc:
        log.debug("Pillow EXIF failed: %s", exc)
        return {}
    raw = {}
    for name, (ifd, tag) in _PILLOW_TAGS.items():
        try:
            source = exif if ifd is None else exif.get_ifd(ifd)
            if tag in source:
                raw[name] = source[tag]
        except Exception:
            continue
    return raw


def extract(raw: dict[str, Any], mtime_ns: int | None) -> PhotoMetadata:
    """Turn raw tag values (from either reader) into clean, validated fields."""
    taken_at, source = None, None
    for name in DATE_SOURCES:
        taken_at = _safe(_parse_datetime, raw.get(name))
        if taken_at:
            source = name
            break
    if taken_at is None and mtime_ns is not None:
        taken_at = datetime.fromtimestamp(mtime_ns / 1e9).isoformat(timespec="seconds")
        source = "mtime"
    lat = _safe(_gps_coordinate, raw.get("GPSLatitude"), raw.get("GPSLatitudeRef"), "S", 90.0)
    lon = _safe(_gps_coordinate, raw.get("GPSLongitude"), raw.get("GPSLongitudeRef"), "W", 180.0)
    if lat is None or lon is None:
        lat = lon = None
    return PhotoMetadata(
        taken_at=taken_at,
        taken_at_source=source,
        tz_offset=_safe(_parse_offset, raw.get("OffsetTimeOriginal")),
        gps_lat=lat,
        gps_lon=lon,
        gps_alt=_safe(_gps_altitude, raw.get("GPSAltitude"), raw.get("GPSAltitudeRef")) if lat is not None else None,
        camera_make=_safe(_text, raw.get("Make")),
        camera_model=_safe(_text, raw.get("Model")),
        lens=_safe(_text, raw.get("LensModel")),
        orientation=_safe(_orientation, raw.get("Orientation")),
    )


def read_metadata(source, image=None, mtime_ns: int | None = None) -> PhotoMetadata:
    """exifread on the file (a path, or its bytes: then exactly the bytes that were hashed); fields it did not
    find are taken from Pillow's reading of `image` if given."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = read_exifread(io.BytesIO(source))
    else:
        with open(source, "rb") as f:
            raw = read_exifread(f)
    if image is not None:
        for name, value in read_pillow(image).items():
            if _safe(_has_value, raw.get(name)) is not True:
                raw[name] = value
    return extract(raw, mtime_ns)


# -- field parsers: each gets whatever type the file held and returns a clean value or None ------------------


def _safe(func, *args):
    try:
        return func(*args)
    except Exception:
        return None


def _has_value(value) -> bool:
    return value is not None and value != "" and value != [] and value != b""


def _first(value):
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _as_str(value) -> str | None:
    value = _first(value) if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value) else value
    if isinstance(value, bytes):
        value = value[:4096].decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):  # exifread gives UNDEFINED/ASCII as int lists at times
        if not all(isinstance(v, int) and 0 <= v < 256 for v in value):
            return None
        value = bytes(value[:4096]).decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    return value[:4096]


def _text(value) -> str | None:
    text = _as_str(value)
    if text is None:
        return None
    text = "".join(ch for ch in text.replace("\x00", " ") if ch.isprintable()).strip()
    return text[:MAX_TEXT] or None


_DATE_RE = re.compile(r"^\s*(\d{4})[:\-/](\d{2})[:\-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def _parse_datetime(value) -> str | None:
    text = _as_str(value)
    match = _DATE_RE.match(text or "")
    if not match:
        return None
    parts = [int(p) for p in match.groups()]
    if parts[0] < 1800:  # "0000:00:00 00:00:00" and other placeholders
        return None
    return datetime(*parts).isoformat(timespec="seconds")  # raises on month 13 etc. -> None


_OFFSET_RE = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")


def _parse_offset(value) -> str | None:
    match = _OFFSET_RE.match(_as_str(value) or "")
    if not match:
        return None
    sign, hours, minutes = match.groups()
    if int(hours) > 14 or int(minutes) >= 60:
        return None
    return f"{sign}{hours}:{minutes}"


def _number(value) -> float:
    """A float from int, float, Fraction, exifread Ratio, Pillow IFDRational or (num, den) tuple."""
    if isinstance(value, tuple) and len(value) == 2:
        value = Fraction(value[0], value[1])
    if hasattr(value, "numerator") and hasattr(value, "denominator"):
        number = float(value.numerator) / float(value.denominator)
    else:
        number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _gps_coordinate(value, ref, negative_ref: str, limit: float) -> float | None:
    if value is None:
        return None
    parts = list(value) if isinstance(value, (list, tuple)) else [value]
    if not 1 <= len(parts) <= 3:
        return None
    degrees = sum(_number(p) / 60**i for i, p in enumerate(parts))
    ref_text = (_as_str(ref) or "").strip().upper()[:1]
    if ref_text == negative_ref:
        degrees = -degrees
    if abs(degrees) > limit:
        return None
    return round(degrees, 7)


def _gps_altitude(value, ref) -> float | None:
    if value is None:
        return None
    altitude = _number(_first(value))
    ref_value = _first(ref)
    if isinstance(ref_value, bytes):
        ref_value = ref_value[:1] == b"\x01"
    if ref_value in (1, True):
        altitude = -altitude
    return round(altitude, 2)


def _orientation(value) -> int | None:
    number = int(_first(value))
    return number if 1 <= number <= 8 else None
