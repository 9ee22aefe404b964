"""What other programs wrote into a photo for the user: rating, keywords, title, description.

Read once on import, so a digiKam, Lightroom or Windows user's stars and tags arrive with their photos. Sources,
best first: the embedded XMP packet (xmp:Rating, MicrosoftPhoto:Rating, dc:subject, digiKam:TagsList,
lr:hierarchicalSubject, dc:title, dc:description), IPTC (Keywords, Object Name, Caption), then EXIF (Windows'
Rating/RatingPercent and XP* fields, ImageDescription unless it is a camera's boilerplate). An XMP sidecar next
to the file (`IMG_1.xmp` as Lightroom and darktable name it, `IMG_1.jpg.xmp` as digiKam does) is read too, and
its fields win: that is where those programs keep the user's latest edits (RAW files always). The files are only
read; nothing is ever written back to them.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from typing import Optional

from app.core.exchange.xmp import PERCENT_STARS, read_xmp

log = logging.getLogger(__name__)

XMP_SCAN_BYTES = 4 << 20  # an XMP packet sits near the start of every format we read
MAX_TEXT = 2000
MAX_TAG = 256

# ImageDescription that cameras fill in themselves ("OLYMPUS DIGITAL CAMERA", "SONY DSC"): not the user's words.
_BOILERPLATE = re.compile(
    r"^\s*(([\w-]+\s+){0,2}(digital\s+(still\s+)?camera|dsc|digital\s+image)|default|untitled|samsung"
    r"|[\w-]+\s+(corporation|electronics|imaging))?\s*$",
    re.IGNORECASE,
)

_IPTC_KEYWORDS, _IPTC_TITLE, _IPTC_CAPTION, _IPTC_CHARSET = (2, 25), (2, 5), (2, 120), (1, 90)
_EXIF_DESCRIPTION, _EXIF_RATING, _EXIF_RATING_PERCENT = 0x010E, 0x4746, 0x4749
_XP_TITLE, _XP_COMMENT, _XP_KEYWORDS = 0x9C9B, 0x9C9C, 0x9C9E


@dataclass(frozen=True)
class EmbeddedInfo:
    rating: int = 0
    rejected: bool = False
    title: Optional[str] = None
    description: Optional[str] = None
    tags: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.rating or self.rejected or self.title or self.description or self.tags)


def is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE.match(text or ""))


def _clean(text, limit: int = MAX_TEXT) -> Optional[str]:
    if isinstance(text, bytes):
        text = _decode(text)
    if not isinstance(text, str):
        return None
    text = text.replace("\x00", "").strip()
    return text[:limit] or None


def _decode(data: bytes, utf8: bool = False) -> str:
    if utf8:
        return data.decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def xmp_packet(data: bytes) -> Optional[bytes]:
    """The first XMP packet (x:xmpmeta element) in the bytes, or None."""
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        start = data.find(b"<x:xapmeta")
    if start < 0:
        return None
    end = data.find(b"</x:xmpmeta>", start)
    close = len(b"</x:xmpmeta>")
    if end < 0:
        end, close = data.find(b"</x:xapmeta>", start), len(b"</x:xapmeta>")
    return data[start : end + close] if end >= 0 else None


def merge_tags(flat: list[str], hierarchical: list[str]) -> list[str]:
    """Hierarchical paths, plus flat keywords that are not just a part of one of them (digiKam and Lightroom
    also list "Japan" and "Kyoto" in dc:subject for the tag "Places/Japan/Kyoto")."""
    parts = {p.strip().lower() for path in hierarchical for p in path.split("/")}
    tags = [t for t in hierarchical] + [k for k in flat if k.strip().lower() not in parts]
    seen, out = set(), []
    for tag in tags:
        tag = "/".join(p.strip() for p in tag.split("/") if p.strip())[:MAX_TAG]
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return out


def read_embedded(data: bytes | None, image=None, path: str | None = None) -> EmbeddedInfo:
    """Everything found, never raising: a damaged XMP or IPTC block is skipped, not the photo."""
    rating, rejected, title, description, flat, hierarchical = None, False, None, None, [], []
    head = data
    if head is None and path is not None:
        try:
            with open(path, "rb") as f:
                head = f.read(XMP_SCAN_BYTES)
        except OSError:
            head = None
    packet = xmp_packet(head[:XMP_SCAN_BYTES] if head else b"") if head else None
    if packet:
        try:
            xmp = read_xmp(packet)
            rating, rejected = xmp.rating, xmp.rejected
            title, description = _clean(xmp.title), _clean(xmp.description)
            flat += xmp.keywords
            hierarchical += xmp.hierarchical
        except Exception as exc:  # noqa: BLE001 - malformed XML from some writer: the rest still counts
            log.debug("unreadable XMP packet: %s", exc)
    if image is not None:
        iptc = _iptc(image)
        flat += iptc.get("keywords", [])
        title = title or iptc.get("title")
        description = description or iptc.get("description")
        exif = _exif(image)
        if rating is None:
            rating = exif.get("rating")
        flat += exif.get("keywords", [])
        title = title or exif.get("title")
        description = description or exif.get("description")
    sidecar = _sidecar(path) if path else None
    if sidecar is not None:
        if sidecar.rating is not None:
            rating, rejected = sidecar.rating, sidecar.rejected
        title = _clean(sidecar.title) or title
        description = _clean(sidecar.description) or description
        if sidecar.keywords or sidecar.hierarchical:
            flat, hierarchical = list(sidecar.keywords), list(sidecar.hierarchical)
    flat = [k for k in (_clean(k, MAX_TAG) for k in flat) if k]
    return EmbeddedInfo(rating=max(0, min(5, int(rating or 0))), rejected=bool(rejected), title=title,
                        description=description, tags=merge_tags(flat, hierarchical))


MAX_SIDECAR_BYTES = 4 << 20


def sidecar_paths(path: str) -> list[str]:
    """Where other programs keep a photo's XMP sidecar: `<name>.<ext>.xmp` (digiKam) then `<stem>.xmp`."""
    stem = os.path.splitext(path)[0]
    return [path + suffix for suffix in (".xmp", ".XMP")] + [stem + suffix for suffix in (".xmp", ".XMP")]


def _sidecar(path: str):
    for candidate in sidecar_paths(path):
        try:
            if os.path.isfile(candidate) and os.path.getsize(candidate) <= MAX_SIDECAR_BYTES:
                with open(candidate, "rb") as f:
                    return read_xmp(xmp_packet(f.read()) or b"")
        except Exception as exc:  # noqa: BLE001 - an unreadable sidecar is skipped, not the photo
            log.debug("unreadable XMP sidecar %s: %s", candidate, exc)
    return None


def _iptc(image) -> dict:
    try:
        from PIL import IptcImagePlugin

        info = IptcImagePlugin.getiptcinfo(image) or {}
    except Exception as exc:  # noqa: BLE001
        log.debug("unreadable IPTC block: %s", exc)
        return {}
    utf8 = info.get(_IPTC_CHARSET) in (b"\x1b%G", [b"\x1b%G"])

    def values(key) -> list[str]:
        raw = info.get(key)
        raw = raw if isinstance(raw, list) else [raw] if raw else []
        return [t for t in (_clean(_decode(v, utf8)) for v in raw if isinstance(v, bytes)) if t]

    out = {"keywords": values(_IPTC_KEYWORDS)}
    title, caption = values(_IPTC_TITLE), values(_IPTC_CAPTION)
    if title:
        out["title"] = title[0]
    if caption:
        out["description"] = caption[0]
    return out


def _exif(image) -> dict:
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001
        return {}
    out: dict = {}
    try:
        stars = exif.get(_EXIF_RATING)
        percent = exif.get(_EXIF_RATING_PERCENT)
        if isinstance(stars, int) and 0 <= stars <= 5:
            out["rating"] = stars
        elif isinstance(percent, int) and percent > 0:
            out["rating"] = next((s for low, s in PERCENT_STARS if percent >= low), 0)
        description = _clean(exif.get(_EXIF_DESCRIPTION))
        if description and not is_boilerplate(description):
            out["description"] = description
        title = _xp(exif.get(_XP_TITLE))
        if title:
            out["title"] = title
        comment = _xp(exif.get(_XP_COMMENT))
        if comment and "description" not in out:
            out["description"] = comment
        keywords = _xp(exif.get(_XP_KEYWORDS))
        if keywords:
            out["keywords"] = [k.strip() for k in keywords.split(";") if k.strip()]
    except Exception as exc:  # noqa: BLE001
        log.debug("odd EXIF user fields: %s", exc)
    return out


def _xp(value) -> Optional[str]:
    """Windows' XP* tags: UTF-16LE bytes (Pillow may hand a tuple of ints)."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        value = bytes(value)
    if isinstance(value, bytes):
        value = value.decode("utf-16-le", "replace")
    return _clean(value)
